"""The benchmark workload: the team directory, reports that page immediately, and how many
deliveries each report must produce.

Reports are ``illegal_work`` spread round-robin over the 34 kecamatan of Tanah Bumbu
(63.10) and Kotabaru (63.02), each about a different person (distinct passport), so
grouping never merges two of them. The routing policy sends illegal work to the
kecamatan team, and at the four mining kecamatan (Sungai Loban, Satui, Mantewe, Angsana)
to the Tanah Bumbu kabupaten team as well. Every member's quiet hours are cleared, so a
delivery is never deferred by the wall clock.

With the national directory (``python -m bench --directory national``: every province,
kabupaten/kota and kecamatan of Indonesia, ~31,000 people, from
``console_service.national``), reports go to every kecamatan of the country in a shuffled
order (each report a different kecamatan, all provinces mixed), from a source without a
home area (a national system: the bench key file drops the source's home area).

The send time travels in the report itself (``upstream_ref`` and ``occurred_at``), and the
notify service copies the whole routed alert, report included, into each delivery row:
latency is read back from the delivery log without any bookkeeping on the side.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import orjson
import yaml

from bench.common import ROOT
from shared.directory import load_directory
from shared.schemas import Channel, Level, Member, Team

TEAMS_FILE = ROOT / "config" / "teams.yaml"
KEYS_FILE = ROOT / "config" / "api_keys.yaml"
REGENCIES = ("63.10", "63.02")
MINING_KECAMATAN = frozenset({"63.10.03", "63.10.04", "63.10.08", "63.10.09"})
NATIONALITIES = ("CHN", "VNM", "PHL", "MYS", "KOR", "IND")
REF_PREFIX = "bench"


def bench_directory(path: Path = TEAMS_FILE, webhook: str | None = None) -> list[Team]:
    """The seed directory with every member's quiet hours cleared.

    With ``webhook`` (a URL), every team has one member instead: a webhook receiver at
    that URL, so each alert is one signed POST — Alertmanager's job in its peer run.
    """
    return _prepared(load_directory(path), webhook)


def _prepared(teams: list[Team], webhook: str | None) -> list[Team]:
    for team in teams:
        for member in team.members:
            member.quiet_hours = None
        if webhook:
            team.members = [
                Member(
                    member_id=f"hook-{team.team_id}",
                    name="Webhook receiver",
                    channels=[Channel.webhook],
                    webhook_url=webhook,
                )
            ]
    return teams


def national_directory(webhook: str | None = None) -> list[Team]:
    """The generated national directory (seed 1), prepared as :func:`bench_directory`."""
    from console_service.national import generate

    return _prepared(generate(1).teams, webhook)


def national_keys_file(directory: Path) -> Path:
    """The development key file with the bench source's home area removed (a national
    system may report anywhere), written into ``directory``."""
    data = yaml.safe_load(KEYS_FILE.read_text(encoding="utf-8"))
    for entry in data["sources"]:
        if entry["source"] == SOURCE:
            entry.pop("home_area", None)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "bench-national-keys.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def bench_kecamatan(teams: Iterable[Team], national: bool = False) -> list[str]:
    """Kecamatan codes of 63.10 and 63.02 that have a team (34 with the seed directory);
    ``national``: every kecamatan with a team, shuffled (seeded) so consecutive reports
    land in different provinces."""
    codes = sorted(
        t.jurisdiction_code
        for t in teams
        if t.level is Level.kecamatan and (national or t.jurisdiction_code.startswith(REGENCIES))
    )
    if national:
        random.Random(7).shuffle(codes)
    return codes


def _reachable(team: Team) -> int:
    """Members that get a delivery row: on duty, with an address on one of their channels."""
    from notify_service.plan import usable_channels

    return sum(1 for m in team.members if m.on_duty and usable_channels(m))


def deliveries_per_kecamatan(teams: list[Team], national: bool = False) -> dict[str, int]:
    """Expected delivery rows of one illegal-work report, per kecamatan (see module doc)."""
    by_code = {t.jurisdiction_code: t for t in teams}
    out: dict[str, int] = {}
    for code in bench_kecamatan(teams, national):
        count = _reachable(by_code[code])
        if code in MINING_KECAMATAN and "63.10" in by_code:
            count += _reachable(by_code["63.10"])
        out[code] = count
    return out


@dataclass(frozen=True)
class Workload:
    """Builds the reports of one benchmark phase (``tag`` keeps phases apart)."""

    kecamatan: tuple[str, ...]
    per_kecamatan: dict[str, int]

    @classmethod
    def from_directory(cls, teams: list[Team], national: bool = False) -> Workload:
        per = deliveries_per_kecamatan(teams, national)
        return cls(tuple(per), per)

    def expected_deliveries(self, n: int) -> int:
        return sum(self.per_kecamatan[self.kecamatan[i % len(self.kecamatan)]] for i in range(n))

    def report(self, phase: int, tag: str, i: int, sent_at: float) -> bytes:
        """One canonical report (~1 KB of JSON) stamped with its send time (epoch seconds).

        ``phase`` (a small number) makes passports unique across the phases of one run.
        """
        code = self.kecamatan[i % len(self.kecamatan)]
        return orjson.dumps(
            {
                "category": "illegal_work",
                "severity": "medium",
                "upstream_ref": f"{REF_PREFIX}:{tag}:{i}:{sent_at:.6f}",
                "occurred_at": datetime.fromtimestamp(sent_at, UTC).isoformat(),
                "location": {
                    "kecamatan_code": code,
                    "place_name": f"Lokasi tambang dan perkebunan nomor {i % 97}",
                    "address": f"Jl. Provinsi km {i % 170}, RT {i % 20:02d}",
                },
                "subjects": [
                    {
                        "full_name": f"Bench Worker {tag} {i}",
                        "nationality": NATIONALITIES[i % len(NATIONALITIES)],
                        "passport_number": f"B{phase:03d}{i:09d}",
                        "date_of_birth": "1988-04-12",
                        "sex": "M",
                        "permit_type": "ITK",
                        "permit_expiry": "2027-01-31",
                        "employer": "PT Contoh Tambang Batubara",
                    }
                ],
                "subject_count": 1,
                "reporter": {"organisation": "Kantor Imigrasi Batulicin (benchmark)"},
                "text": (
                    "Laporan uji beban: WNA diduga bekerja tanpa izin kerja di lokasi "
                    "tambang; mohon dicek oleh Timpora kecamatan. Menurut warga, pekerja "
                    "datang dua minggu lalu dan tinggal di mes perusahaan dekat lokasi. "
                    "Benchmark report, generated by python -m bench; not a real sighting."
                ),
            }
        )


def sent_time(upstream_ref: str) -> float:
    """The send time stamped by :meth:`Workload.report` into ``upstream_ref``."""
    return float(upstream_ref.rsplit(":", 1)[1])


SOURCE = "kanim-batulicin"  # the bench writes to its raw topic, reports.raw.kanim-batulicin
RAW_HEADERS = [("format", b"canonical")]
