"""Names as people write them: normalising, comparison keys and typo scoring.

A name is lower-cased to ASCII, split into words, and each word put in canonical
spelling: abbreviations expanded (``Sei`` → sungai, ``Kec.`` → kecamatan), digits and
Roman numerals written as Indonesian number words, old spelling (``tj``/``dj``/``oe``)
modernised. The words are then joined without spaces, so "Batulicin" == "Batu Licin"
and "Simpang 4" == "Simpang Empat". Typos are scored with rapidfuzz.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

from shared.schemas import Level

_NUMBERS = "nol satu dua tiga empat lima enam tujuh delapan sembilan sepuluh sebelas".split()  # noqa: SIM905
_ROMAN_RE = re.compile(r"^(x{0,3})(ix|iv|v?i{0,3})$")
_ROMAN = {"i": 1, "v": 5, "x": 10}
ALIASES = {
    "sei": "sungai",
    "sui": "sungai",
    "sg": "sungai",
    "sng": "sungai",
    "tg": "tanjung",
    "tj": "tanjung",
    "tjg": "tanjung",
    "kp": "kampung",
    "kpg": "kampung",
    "kamp": "kampung",
    "pl": "pulau",
    "p": "pulau",
    "gn": "gunung",
    "gng": "gunung",
    "kep": "kepulauan",
    "kab": "kabupaten",
    "kec": "kecamatan",
    "kel": "kelurahan",
    "ds": "desa",
    "prop": "provinsi",
    "prov": "provinsi",
    "propinsi": "provinsi",
}
DESIGNATORS = {
    "kecamatan": Level.kecamatan,
    "distrik": Level.kecamatan,  # Papua's name for a kecamatan
    "kabupaten": Level.kabupaten,
    "provinsi": Level.provinsi,
    "desa": Level.desa,
    "kelurahan": Level.desa,
}
STREET_WORDS = frozenset(
    "jl jln jalan gg gang rt rw no nomor blok km komplek kompleks perum perumahan".split()  # noqa: SIM905
)
STOPWORDS = frozenset(
    """lapor laporan ada adanya di ke dari yang dan atau dengan untuk wna wni orang asing
    kerja bekerja pekerja tenaga tambang hotel penginapan losmen wisma mess kantor sekitar
    dekat arah daerah wilayah lokasi tempat info informasi ini itu tersebut sedang telah
    sudah akan ya tidak tanpa izin visa paspor""".split()  # noqa: SIM905
)
_PROVINCE_ALIASES = {
    "11": ["nad", "nanggroe aceh darussalam"],
    "12": ["sumut"],
    "13": ["sumbar"],
    "16": ["sumsel"],
    "19": ["babel", "bangka belitung"],
    "21": ["kepri"],
    "31": ["dki", "jakarta", "dki jakarta"],
    "32": ["jabar"],
    "33": ["jateng"],
    "34": ["diy", "yogyakarta", "jogja", "jogjakarta", "yogya"],
    "35": ["jatim"],
    "52": ["ntb"],
    "53": ["ntt"],
    "61": ["kalbar"],
    "62": ["kalteng"],
    "63": ["kalsel"],
    "64": ["kaltim"],
    "65": ["kaltara"],
    "71": ["sulut"],
    "72": ["sulteng"],
    "73": ["sulsel"],
    "74": ["sultra"],
    "76": ["sulbar"],
    "82": ["malut"],
    "92": ["pabar"],
    "96": ["pbd"],
}


def _number_words(n: int) -> str:
    """Indonesian number words ("4" → "empat", "12" → "dua belas") up to 999."""
    if n < 12:
        return _NUMBERS[n]
    if n < 20:
        return f"{_NUMBERS[n - 10]} belas"
    if n < 100:
        tens, ones = divmod(n, 10)
        return f"{_NUMBERS[tens]} puluh" + (f" {_NUMBERS[ones]}" if ones else "")
    if n < 1000:
        hundreds, rest = divmod(n, 100)
        head = "seratus" if hundreds == 1 else f"{_NUMBERS[hundreds]} ratus"
        return head + (f" {_number_words(rest)}" if rest else "")
    return str(n)


def _roman_value(token: str) -> int | None:
    if not token or not _ROMAN_RE.match(token):
        return None
    values = [_ROMAN[c] for c in token]
    return sum(-v if i + 1 < len(values) and v < values[i + 1] else v for i, v in enumerate(values))


@lru_cache(maxsize=65536)
def _canon_token(token: str) -> str:
    """One lower-case ASCII token in canonical spelling (may expand to several words)."""
    token = ALIASES.get(token, token)
    if token.isdigit():
        return _number_words(int(token)).replace(" ", "") if len(token) <= 3 else token
    roman = _roman_value(token)
    if roman is not None:
        return _number_words(roman).replace(" ", "")
    # Old (pre-1972) spelling still seen on signs and in old records.
    return token.replace("tj", "c").replace("dj", "j").replace("oe", "u")


_APOSTROPHES = str.maketrans("", "", "'`’´ʼ")
_TOKEN_RE = re.compile(r"[a-z]+|[0-9]+")


def _ascii_lower(text: str) -> str:
    """Lower-case ASCII without accents or apostrophes ("Ma'rang" → "marang")."""
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text)
        text = "".join(c for c in text if not unicodedata.combining(c))
        return text.lower().translate(_APOSTROPHES)
    text = text.lower()
    return text.replace("'", "").replace("`", "") if "'" in text or "`" in text else text


def raw_tokens(text: str) -> list[str]:
    return _TOKEN_RE.findall(_ascii_lower(text))


def tokens_key(tokens: Iterable[str]) -> str:
    return "".join(map(_canon_token, tokens))


def name_key(text: str) -> str:
    """The compact comparison key of a name: "Kec. Simpang 4" → "simpangempat".

    Spaces are dropped so that joined and split spellings ("Batulicin", "Batu Licin")
    compare equal; designators (Kec., Kab., Desa...) are dropped when they lead.
    """
    tokens = raw_tokens(text)
    start = 0
    while len(tokens) - start > 1 and ALIASES.get(tokens[start], tokens[start]) in DESIGNATORS:
        start += 1
    return tokens_key(tokens[start:] if start else tokens)


def official_keys(code: str, name: str) -> list[str]:
    """Keys under which an official name is found (kabupaten also without Kabupaten/Kota)."""
    keys = [name_key(name)]
    if code.count(".") == 1:
        first, _, rest = name.partition(" ")
        if first.lower() in ("kabupaten", "kota") and rest:
            keys.append(name_key(rest))
            keys.append(tokens_key(raw_tokens(name)))  # "kotabanjarbaru", "kabupatentanahbumbu"
    if code.count(".") == 0:
        keys += [name_key(a) for a in _PROVINCE_ALIASES.get(code, ())]
    return list(dict.fromkeys(k for k in keys if k))


def _similarity(a: str, b: str) -> float:
    """0..100: mean of Indel ratio and OSA similarity.

    The ratio alone scores "satiu" nearer "satiung" than "satui"; OSA counts a swapped
    pair of letters as one edit, which is the commonest typo in a short name.
    """
    from rapidfuzz.distance import OSA
    from rapidfuzz.fuzz import ratio

    return (ratio(a, b) + 100.0 * OSA.normalized_similarity(a, b)) / 2.0


def best_matches(
    key: str, keys: list[str], codes: list[str], cutoff: float, limit: int
) -> list[tuple[str, float]]:
    """Codes whose key is within ``cutoff`` of ``key``, best first.

    rapidfuzz's C scorer preselects from the whole list; the few survivors are rescored.
    """
    from rapidfuzz import fuzz, process

    pre = process.extract(
        key, keys, scorer=fuzz.ratio, score_cutoff=max(0.0, cutoff - 15), limit=limit * 3
    )
    best: dict[str, float] = {}
    for k, _, i in pre:
        score = _similarity(key, k)
        if score >= cutoff and score > best.get(codes[i], -1.0):
            best[codes[i]] = score
    return sorted(best.items(), key=lambda cs: -cs[1])[:limit]


@lru_cache(maxsize=4096)  # place names repeat: a closed set plus their spellings
def _plain_words(text: str) -> str:
    words = [ALIASES.get(w, w) for w in raw_tokens(text)]
    if len(words) > 1 and (words[0] in DESIGNATORS or words[0] == "kota"):
        words = words[1:]
    return " ".join(words)


def same_spelling(given: str, official: str) -> bool:
    """Equal but for case, punctuation and a leading Kabupaten/Kota/Kec./Desa word."""
    return _plain_words(given) == _plain_words(official)
