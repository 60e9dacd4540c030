"""The home area of the region tests and the spellings people use for its places."""

from __future__ import annotations

from shared.jurisdiction import LOW_CONFIDENCE, Resolution

HOME = ("63.10", "63.02")  # Kantor Imigrasi Batulicin: Tanah Bumbu and Kotabaru

TANAH_BUMBU = {
    "63.10.01": "Batu Licin",
    "63.10.02": "Kusan Hilir",
    "63.10.03": "Sungai Loban",
    "63.10.04": "Satui",
    "63.10.05": "Kusan Hulu",
    "63.10.06": "Simpang Empat",
    "63.10.07": "Karang Bintang",
    "63.10.08": "Mantewe",
    "63.10.09": "Angsana",
    "63.10.10": "Kuranji",
    "63.10.11": "Kusan Tengah",
    "63.10.12": "Teluk Kepayang",
}
KOTABARU = {
    "63.02.01": "Pulau Sembilan",
    "63.02.02": "Pulau Laut Barat",
    "63.02.03": "Pulau Laut Selatan",
    "63.02.04": "Pulau Laut Timur",
    "63.02.05": "Pulau Sebuku",
    "63.02.06": "Pulaulaut Utara",
    "63.02.07": "Kelumpang Selatan",
    "63.02.08": "Kelumpang Hulu",
    "63.02.09": "Kelumpang Tengah",
    "63.02.10": "Kelumpang Utara",
    "63.02.11": "Pamukan Selatan",
    "63.02.12": "Sampanahan",
    "63.02.13": "Pamukan Utara",
    "63.02.14": "Hampang",
    "63.02.15": "Sungai Durian",
    "63.02.16": "Pulau Laut Tengah",
    "63.02.17": "Kelumpang Hilir",
    "63.02.18": "Kelumpang Barat",
    "63.02.19": "Pamukan Barat",
    "63.02.20": "Pulau Laut Kepulauan",
    "63.02.21": "Pulau Laut Tanjung Selayar",
    "63.02.22": "Pulaulaut Sigam",
}
HOME_KECAMATAN = {**TANAH_BUMBU, **KOTABARU}
KAB_NAME = {"63.10": "Tanah Bumbu", "63.02": "Kotabaru"}


def regency_name(code: str) -> str:
    return KAB_NAME[code[:5]]


def drop_letter(name: str) -> str:
    """Drop a letter from the middle of the longest word ("Simpang" → "Simang")."""
    words = name.split()
    i = max(range(len(words)), key=lambda k: len(words[k]))
    w = words[i]
    words[i] = w[: len(w) // 2] + w[len(w) // 2 + 1 :]
    return " ".join(words)


def swap_letters(name: str) -> str:
    """Swap two adjacent letters in the middle of the longest word ("Satui" → "Satiu")."""
    words = name.split()
    i = max(range(len(words)), key=lambda k: len(words[k]))
    w = words[i]
    j = max(1, len(w) // 2)
    words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2 :]
    return " ".join(words)


def join_or_split(name: str) -> str:
    """Join words ("Batu Licin" → "BatuLicin") or split one ("Satui" → "Sat ui")."""
    if " " in name:
        return name.replace(" ", "")
    half = len(name) // 2
    return f"{name[:half]} {name[half:]}"


def assert_resolves(res: Resolution, code: str) -> None:
    assert res.code == code, res
    assert not res.low_confidence, res
    assert res.confidence >= LOW_CONFIDENCE
