"""Nationalities as written in Indonesian or English → ISO 3166-1 alpha-3."""

from __future__ import annotations

import re
from functools import lru_cache

import pycountry

from ingest_service.normalize.text import fold

# Indonesian (and common English/adjective) names people actually write. Keys are folded.
# fmt: off
_NATIONALITY_ALIASES: dict[str, str] = {
    # China
    "tiongkok": "CHN", "china": "CHN", "cina": "CHN", "chna": "CHN", "rrt": "CHN",
    "rrc": "CHN", "republik rakyat tiongkok": "CHN", "republik rakyat china": "CHN",
    "prc": "CHN", "chinese": "CHN", "tionghoa": "CHN",
    # Koreas ("Korea" alone means the South in practice)
    "korea": "KOR", "korea selatan": "KOR", "korsel": "KOR", "south korea": "KOR",
    "korean": "KOR", "republic of korea": "KOR",
    "korea utara": "PRK", "korut": "PRK", "north korea": "PRK",
    # Americas
    "amerika serikat": "USA", "amerika": "USA", "as": "USA", "usa": "USA", "us": "USA",
    "united states": "USA", "american": "USA", "kanada": "CAN", "canadian": "CAN",
    "meksiko": "MEX", "brasil": "BRA", "brazil": "BRA", "kolombia": "COL", "chili": "CHL",
    # Europe
    "belanda": "NLD", "netherlands": "NLD", "holland": "NLD", "dutch": "NLD",
    "inggris": "GBR", "britania raya": "GBR", "uk": "GBR", "united kingdom": "GBR",
    "british": "GBR", "jerman": "DEU", "german": "DEU", "germany": "DEU",
    "perancis": "FRA", "prancis": "FRA", "french": "FRA", "rusia": "RUS", "russia": "RUS",
    "russian": "RUS", "italia": "ITA", "italian": "ITA", "spanyol": "ESP", "spanish": "ESP",
    "swiss": "CHE", "swedia": "SWE", "norwegia": "NOR", "denmark": "DNK", "finlandia": "FIN",
    "polandia": "POL", "ukraina": "UKR", "yunani": "GRC", "belgia": "BEL", "irlandia": "IRL",
    "austria": "AUT", "portugal": "PRT", "ceko": "CZE", "turki": "TUR", "turkey": "TUR",
    # Asia and Oceania
    "jepang": "JPN", "japan": "JPN", "japanese": "JPN", "malaysia": "MYS",
    "malaysian": "MYS", "filipina": "PHL", "philippines": "PHL", "filipino": "PHL",
    "vietnam": "VNM", "viet nam": "VNM", "vietnamese": "VNM", "india": "IND",
    "indian": "IND", "bangladesh": "BGD", "bangladeshi": "BGD", "pakistan": "PAK",
    "thailand": "THA", "thai": "THA", "singapura": "SGP", "singapore": "SGP",
    "timor leste": "TLS", "timor timur": "TLS", "myanmar": "MMR", "burma": "MMR",
    "kamboja": "KHM", "cambodia": "KHM", "laos": "LAO", "taiwan": "TWN", "hongkong": "HKG",
    "hong kong": "HKG", "brunei": "BRN", "brunei darussalam": "BRN", "sri lanka": "LKA",
    "nepal": "NPL", "afganistan": "AFG", "afghanistan": "AFG", "iran": "IRN", "irak": "IRQ",
    "arab saudi": "SAU", "saudi arabia": "SAU", "saudi": "SAU", "uni emirat arab": "ARE",
    "uea": "ARE", "yaman": "YEM", "yordania": "JOR", "suriah": "SYR", "mongolia": "MNG",
    "uzbekistan": "UZB", "kazakhstan": "KAZ", "australia": "AUS", "australian": "AUS",
    "selandia baru": "NZL", "new zealand": "NZL", "papua nugini": "PNG", "png": "PNG",
    # Africa
    "nigeria": "NGA", "nigerian": "NGA", "ghana": "GHA", "kamerun": "CMR", "mesir": "EGY",
    "afrika selatan": "ZAF", "maroko": "MAR", "aljazair": "DZA", "somalia": "SOM",
    "sudan": "SDN", "pantai gading": "CIV", "senegal": "SEN", "kenya": "KEN",
    # Home
    "indonesia": "IDN", "wni": "IDN",
}
# fmt: on

# Names unambiguous enough to recognise inside free text without a marker ("WN", "asal").
# Excludes words that are also ordinary Indonesian words or too short ("as", "us", "chili").
TEXT_NATIONALITY_NAMES: frozenset[str] = frozenset(
    key
    for key in _NATIONALITY_ALIASES
    if len(key) > 3 and key not in {"chili", "swiss", "thai", "saudi", "indonesia", "wni"}
) | {"rrt", "rrc"}

_NATIONALITY_PREFIX = re.compile(
    r"^(?:wna|wni|wn|warga negara|warganegara|kewarganegaraan|negara|asal|bangsa)\s+"
)


@lru_cache(maxsize=4096)
def nationality_to_alpha3(text: str, *, allow_codes: bool = True) -> str | None:
    """ISO 3166-1 alpha-3 for a nationality written in Indonesian or English.

    Accepts alpha-2/alpha-3 codes (unless ``allow_codes`` is false: free text is full of
    two-letter words such as "PT" or "di"), the alias table, then pycountry's names.
    Returns ``None`` when nothing matches; the caller decides whether that is an error.
    """
    folded = fold(text)
    folded = _NATIONALITY_PREFIX.sub("", folded)
    if not folded:
        return None
    if folded in _NATIONALITY_ALIASES:
        if allow_codes or folded in TEXT_NATIONALITY_NAMES:
            return _NATIONALITY_ALIASES[folded]
        return None
    compact = folded.replace(" ", "")
    if allow_codes and compact.isalpha() and len(compact) in (2, 3):
        country = (
            pycountry.countries.get(alpha_2=compact.upper())
            if len(compact) == 2
            else pycountry.countries.get(alpha_3=compact.upper())
        )
        if country is not None:
            return str(country.alpha_3)
    if len(folded) > 3:
        try:
            country = pycountry.countries.lookup(folded)
        except LookupError:
            return None
        return str(country.alpha_3)
    return None
