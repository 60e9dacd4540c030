"""Generate config/teams.yaml: the seed directory (Tanah Bumbu, Kotabaru, South Kalimantan).

People are invented; numbers are in the obviously fictional +62 812-0000-xxxx range and
emails at example.org. Run: ``uv run python scripts/make_seed.py > config/teams.yaml``.
"""

from __future__ import annotations

import gzip
import importlib.resources
import json
import re
import sys

from shared.directory import dump_directory
from shared.schemas import Channel, Level, Member, QuietHours, Team, team_id_for

NIGHT = QuietHours(start="22:00", end="06:00")
FIRST = [
    "Ahmad",
    "Siti",
    "Budi",
    "Rahmat",
    "Nur",
    "Hendra",
    "Dewi",
    "Agus",
    "Rina",
    "Yusuf",
    "Fitri",
    "Bambang",
    "Lestari",
    "Joko",
    "Wulan",
    "Rizky",
    "Sri",
    "Eko",
    "Maya",
    "Hasan",
]
LAST = ["Fiktif", "Contoh", "Rekaan", "Sampel", "Percobaan", "Uji", "Demo", "Ilustrasi"]


class Numbers:
    def __init__(self) -> None:
        self.n = 0

    def next(self) -> int:
        self.n += 1
        return self.n


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", name.lower())


def person(num: Numbers, role: str, place: str, channels: list[Channel], quiet: bool) -> Member:
    n = num.next()
    phone = f"+628120000{n:04d}"
    return Member(
        member_id=f"m{n:04d}",
        name=f"{FIRST[n % len(FIRST)]} {LAST[n % len(LAST)]}",
        role=role,
        phone=phone,
        email=f"{slug(role)}.{slug(place)}@example.org",
        telegram_chat_id=str(700000000 + n),
        whatsapp=phone,
        channels=channels,
        quiet_hours=NIGHT if quiet else None,
    )


def main() -> None:
    names = json.loads(
        gzip.decompress(
            (importlib.resources.files("lokal") / "data" / "wilayah.json.gz").read_bytes()
        )
    )
    num = Numbers()
    teams = [
        Team(
            team_id=team_id_for("63"),
            name="Timpora Provinsi Kalimantan Selatan",
            level=Level.provinsi,
            jurisdiction_code="63",
            members=[
                person(
                    num, "Kabid Inteldakim Kanwil", "kalsel", [Channel.email, Channel.sms], False
                ),
                person(num, "Dirintelkam Polda", "kalsel", [Channel.telegram, Channel.sms], False),
            ],
        )
    ]
    for kab in ("63.10", "63.02"):
        kab_name = names[kab].removeprefix("Kabupaten ")
        teams.append(
            Team(
                team_id=team_id_for(kab),
                name=f"Timpora Kabupaten {kab_name}",
                level=Level.kabupaten,
                jurisdiction_code=kab,
                members=[
                    person(
                        num, "Kepala Kanim Batulicin", kab_name, [Channel.email, Channel.sms], False
                    ),
                    person(
                        num,
                        "Kasi Inteldakim",
                        kab_name,
                        [Channel.telegram, Channel.sms, Channel.email],
                        False,
                    ),
                    person(
                        num,
                        "Kasat Intelkam Polres",
                        kab_name,
                        [Channel.whatsapp, Channel.sms],
                        True,
                    ),
                ],
            )
        )
        for code in sorted(c for c in names if c.startswith(kab + ".") and c.count(".") == 2):
            kec = names[code]
            teams.append(
                Team(
                    team_id=team_id_for(code),
                    name=f"Timpora Kecamatan {kec}",
                    level=Level.kecamatan,
                    jurisdiction_code=code,
                    members=[
                        person(num, "Camat", kec, [Channel.sms, Channel.email], True),
                        person(num, "Kapolsek", kec, [Channel.telegram, Channel.sms], False),
                        person(num, "Danramil", kec, [Channel.whatsapp, Channel.sms], True),
                    ],
                )
            )
    sys.stdout.write("# Seed teams directory (invented people, fictional numbers).\n")
    sys.stdout.write("# Regenerate: uv run python scripts/make_seed.py > config/teams.yaml\n")
    sys.stdout.write(dump_directory(teams))


if __name__ == "__main__":
    main()
