"""A generated national directory: every province, kabupaten/kota and kecamatan of
Indonesia (the region data ingest resolves places with) with a Timpora team of 3–5
fictional members, and immigration offices over all kabupaten/kota with their fallback
teams. Pure and deterministic for a seed: ``timpora directory generate --national``
writes it, for scale tests and the national bench.

The offices are invented but plausible: the kabupaten/kota of each province, in code
order, are grouped into offices of about four (Indonesia has about 125 immigration
offices for 514 kabupaten/kota); an office is named after its first kabupaten/kota and
its fallback team is that kabupaten's team. People are fictional: names from a list,
numbers in the +62 812 0010 xxxx … range (never the seed directory's +62 812 0000 xxxx),
e-mail at example.org, Telegram chat ids from 800000000.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field

from shared.jurisdiction import regions
from shared.offices import Office
from shared.schemas import Channel, Level, Member, Team, team_id_for

KABUPATEN_PER_OFFICE = 4.1  # 514 kabupaten/kota / ~125 offices
FIRST = (
    "Ahmad", "Siti", "Budi", "Rahmat", "Nur", "Hendra", "Dewi", "Agus", "Rina", "Yusuf",
    "Fitri", "Bambang", "Lestari", "Joko", "Wulan", "Rizky", "Sri", "Eko", "Maya", "Hasan",
)  # fmt: skip
LAST = ["Fiktif", "Contoh", "Rekaan", "Sampel", "Percobaan", "Uji", "Demo", "Ilustrasi"]
ROLES = {
    Level.kecamatan: ("Camat", "Kapolsek", "Danramil", "Kasi Trantib", "Petugas Imigrasi"),
    Level.kabupaten: ("Kasi Inteldakim", "Kasat Intelkam", "Kaban Kesbangpol", "Dandim", "Kadis"),
    Level.provinsi: ("Kabid Inteldakim", "Dirintelkam Polda", "Kaban Kesbangpol", "Asintel"),
}
CHANNELS = (
    [Channel.sms, Channel.email],
    [Channel.telegram, Channel.sms],
    [Channel.whatsapp, Channel.sms],
)
FIRST_NUMBER = 100_001  # +62 812 0010 0001


@dataclass(frozen=True)
class NationalOffice:
    office_id: str
    name: str
    home_area: tuple[str, ...]  # kabupaten/kota codes
    fallback_team: str


@dataclass
class NationalDirectory:
    teams: list[Team] = field(default_factory=list)
    offices: list[NationalOffice] = field(default_factory=list)

    @property
    def people(self) -> int:
        return sum(len(t.members) for t in self.teams)

    def office_records(self) -> list[Office]:
        """The offices as records for ``timpora offices import`` (ids made unique)."""
        seen: set[str] = set()
        out = []
        for o in self.offices:
            office_id = (
                o.office_id if o.office_id not in seen else f"{o.office_id}-{o.home_area[0]}"
            )
            seen.add(office_id)
            out.append(
                Office(
                    id=office_id.replace(".", ""),
                    name=o.name,
                    home_area=list(o.home_area),
                    fallback_team=o.fallback_team,
                )
            )
        return out


def generate(seed: int = 1) -> NationalDirectory:
    """The national directory for ``seed`` (the same seed, the same directory)."""
    data = regions()
    out = NationalDirectory()
    number = FIRST_NUMBER
    for level in (Level.provinsi, Level.kabupaten, Level.kecamatan):
        for code in data.codes(level):
            rng = random.Random(f"{seed}:{code}")
            members = []
            for _ in range(rng.randint(3, 5)):
                members.append(_person(rng, number, level, code))
                number += 1
            name = data.name(code) or code
            out.teams.append(
                Team(
                    team_id=team_id_for(code),
                    name=f"Timpora {_level_word(level, name)}{name}",
                    level=level,
                    jurisdiction_code=code,
                    members=members,
                )
            )
    out.offices = offices(data.codes(Level.kabupaten), data.name)
    return out


def offices(kabupaten: list[str], name_of: object) -> list[NationalOffice]:
    """Offices of about ``KABUPATEN_PER_OFFICE`` consecutive kabupaten of one province."""
    by_province: dict[str, list[str]] = {}
    for code in kabupaten:
        by_province.setdefault(code.split(".")[0], []).append(code)
    out = []
    for codes in by_province.values():
        count = max(1, round(len(codes) / KABUPATEN_PER_OFFICE))
        size = -(-len(codes) // count)
        for start in range(0, len(codes), size):
            group = tuple(codes[start : start + size])
            place = _short(name_of(group[0]) or group[0])  # type: ignore[operator]
            out.append(
                NationalOffice(
                    office_id=_slug(place),
                    name=f"Kantor Imigrasi {place}",
                    home_area=group,
                    fallback_team=team_id_for(group[0]),
                )
            )
    return out


def _person(rng: random.Random, n: int, level: Level, code: str) -> Member:
    role = rng.choice(ROLES[level])
    phone = f"+62812{n:08d}"
    return Member(
        member_id=f"n{n:06d}",
        name=f"{rng.choice(FIRST)} {rng.choice(LAST)}",
        role=role,
        phone=phone,
        email=f"{_slug(role)}.{code}@example.org",
        telegram_chat_id=str(800_000_000 + n),
        whatsapp=phone,
        channels=list(rng.choice(CHANNELS)),
    )


def _level_word(level: Level, name: str) -> str:
    if level is Level.kecamatan:
        return "Kecamatan "
    if level is Level.provinsi:
        return "Provinsi "
    return ""  # "Kabupaten Tanah Bumbu", "Kota Banjarmasin": the name says it


def _short(name: str) -> str:
    return re.sub(r"^(Kabupaten|Kota Administrasi|Kota)\s+", "", name)


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
