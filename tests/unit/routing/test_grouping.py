"""Grouping and de-duplication decisions (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from routing_service.grouping import (
    DEFAULT_GROUP_KEY,
    KEY_FIELDS,
    MAX_KEY_LENGTH,
    MAX_REPORT_IDS,
    Action,
    GroupState,
    decide,
    digest_period,
    group_key,
    local_day,
    normalize_passport,
    normalize_person_name,
    render_key,
    subject_key,
    template_fields,
)
from shared.schemas import Location, Report, Severity, Subject

T0 = datetime(2025, 6, 2, 4, 0, tzinfo=UTC)  # 12:00 WITA
LOC = Location(kecamatan_code="63.10.04", kabupaten_code="63.10", provinsi_code="63")


def report(**kw) -> Report:
    base = {"source": "apoa", "received_at": T0, "location": LOC}
    return Report(**{**base, **kw})


def ids(prefix: str = "A"):
    counter = iter(range(1, 1000))
    return lambda: f"{prefix}{next(counter)}"


# --------------------------------------------------------------------------- keys


def test_subject_key() -> None:
    a = report(subjects=[Subject(passport_number="e 123-456"), Subject(passport_number="B9")])
    b = report(subjects=[Subject(passport_number="B9"), Subject(passport_number="E123456")])
    assert subject_key(a) == subject_key(b) == "P:B9+E123456"
    named = report(subjects=[Subject(full_name="ZHANG  Wei")])
    assert subject_key(named) == subject_key(report(subjects=[Subject(full_name="wei zhang")]))
    assert subject_key(named).startswith("N:")
    assert subject_key(report()) == "anon"


def test_normalisers() -> None:
    assert normalize_passport(" e-12 34 ") == "E1234"
    assert normalize_person_name("Nguyễn Văn  An") == normalize_person_name("an NGUYEN van")


def test_default_key_same_passport_place_and_day() -> None:
    s = [Subject(passport_number="E1")]
    morning = report(subjects=s, occurred_at=datetime(2025, 6, 2, 0, 30, tzinfo=UTC))
    evening = report(subjects=s, occurred_at=datetime(2025, 6, 2, 15, 59, tzinfo=UTC))
    assert group_key(morning) == group_key(evening) == "P:E1|63.10.04|2025-06-02"
    # 16:01 UTC is 00:01 WITA the next day: a new group.
    next_day = report(subjects=s, occurred_at=datetime(2025, 6, 2, 16, 1, tzinfo=UTC))
    assert group_key(next_day) == "P:E1|63.10.04|2025-06-03"
    other_place = report(subjects=s, location=Location(kecamatan_code="63.10.09"))
    assert group_key(other_place) != group_key(morning)
    other_person = report(subjects=[Subject(passport_number="E2")])
    assert group_key(other_person) != group_key(morning)


def test_local_day_uses_wita_by_default() -> None:
    r = report(occurred_at=datetime(2025, 6, 2, 16, 30, tzinfo=UTC))
    assert local_day(r) == "2025-06-03"
    assert local_day(r, "Asia/Jakarta") == "2025-06-02"  # 23:30 WIB


def test_key_without_kecamatan_uses_what_is_known() -> None:
    r = report(location=Location(kabupaten_code="63.10"))
    assert group_key(r) == "anon|63.10|2025-06-02"
    assert group_key(report(location=Location())) == "anon|unresolved|2025-06-02"
    assert group_key(r, kecamatan="63.10.06") == "anon|63.10.06|2025-06-02"


def test_custom_template() -> None:
    r = report(subjects=[Subject(nationality="CHN", passport_number="E1")])
    key = group_key(r, "{rule}|{nationality}|{passport}|{hour}|{week}", rule="overstay")
    assert key == "overstay|CHN|E1|2025-06-02T12|2025-W23"
    assert group_key(r, "{report_id}") == r.report_id


def test_every_placeholder_renders_and_unknown_ones_fail() -> None:
    r = report(
        subjects=[
            Subject(full_name="ZHANG Wei", nationality="CHN", passport_number="e 1"),
            Subject(full_name="Ana Lee", nationality="PHL"),
        ],
        location=Location(kecamatan_code="63.10.04", kabupaten_code="63.10", provinsi_code="63"),
    )
    template = "|".join(f"{{{name}}}" for name in sorted(KEY_FIELDS))
    key = group_key(r, template, jurisdiction="63.10", level="kabupaten", rule="r1")
    assert key.split("|") == [
        r.category.value,
        "2025-06-02",  # day
        "2025-06-02T12",  # hour
        "63.10",  # jurisdiction
        "63.10",  # kabupaten
        "63.10.04",  # kecamatan
        "kabupaten",  # level
        "ana lee+wei zhang",  # name
        "CHN+PHL",  # nationality
        "E1",  # passport
        "63",  # provinsi
        r.report_id,
        "r1",  # rule
        r.source,
        "P:E1",  # subject
        "2025-W23",  # week
    ]
    with pytest.raises(KeyError):
        group_key(r, "{nope}")


@pytest.mark.parametrize(
    "template", ["{nope}", "{subject.__class__}", "{subject[0]}", "{day:>10}", "{day!r}", "{", "{}"]
)
def test_bad_templates(template: str) -> None:
    with pytest.raises(ValueError, match=r"group key|placeholder"):
        template_fields(template)


def test_template_fields() -> None:
    assert template_fields(DEFAULT_GROUP_KEY) == {"subject", "kecamatan", "day"}
    assert template_fields("static") == set()


def test_long_keys_are_hashed_to_fit() -> None:
    key = render_key("{subject}", {"subject": "x" * 1000})
    assert len(key) == MAX_KEY_LENGTH
    assert key != render_key("{subject}", {"subject": "x" * 999 + "y"})


# --------------------------------------------------------------------------- decide


def test_first_report_opens_a_new_alert() -> None:
    d = decide(None, report(report_id="R1"), T0, timedelta(hours=24), new_alert_id=ids())
    assert d.action is Action.new
    assert (d.alert_id, d.version, d.occurrence_count) == ("A1", 1, 1)
    assert d.window_ends_at == T0 + timedelta(hours=24)
    assert d.report_ids == ("R1",)


def test_reports_within_the_window_update_one_alert() -> None:
    window = timedelta(hours=24)
    state = decide(None, report(report_id="R1"), T0, window, new_alert_id=ids()).state
    for i in range(2, 6):
        d = decide(state, report(report_id=f"R{i}"), T0 + timedelta(hours=i), window)
        assert d.action is Action.update
        assert (d.alert_id, d.version, d.occurrence_count) == ("A1", i, i)
        assert d.window_ends_at == T0 + window  # fixed, not sliding
        state = d.state
    assert state.report_ids == ("R1", "R2", "R3", "R4", "R5")


def test_window_end_opens_a_new_alert() -> None:
    window = timedelta(hours=6)
    state = decide(None, report(report_id="R1"), T0, window, new_alert_id=ids()).state
    just_before = decide(state, report(report_id="R2"), T0 + window - timedelta(seconds=1), window)
    assert just_before.action is Action.update
    at_end = decide(state, report(report_id="R3"), T0 + window, window, new_alert_id=ids("B"))
    assert at_end.action is Action.new
    assert (at_end.alert_id, at_end.version) == ("B1", 1)


def test_redelivered_report_is_a_duplicate() -> None:
    state = decide(None, report(report_id="R1"), T0, new_alert_id=ids()).state
    d = decide(state, report(report_id="R1"), T0 + timedelta(minutes=1))
    assert d.action is Action.duplicate
    assert d.state == state


def test_severity_only_rises() -> None:
    low = report(report_id="R1", severity=Severity.low)
    state = decide(None, low, T0, new_alert_id=ids()).state
    high = decide(state, report(report_id="R2", severity=Severity.high), T0)
    assert (high.severity, high.severity_raised) == (Severity.high, True)
    lower = decide(high.state, report(report_id="R3", severity=Severity.info), T0)
    assert (lower.severity, lower.severity_raised) == (Severity.high, False)
    override = decide(lower.state, report(report_id="R4"), T0, severity=Severity.critical)
    assert override.severity is Severity.critical


def test_report_ids_are_capped() -> None:
    state = GroupState("A1", 500, 500, T0 + timedelta(days=1), tuple(f"R{i}" for i in range(500)))
    d = decide(state, report(report_id="NEW"), T0)
    assert len(d.report_ids) == MAX_REPORT_IDS
    assert d.report_ids[-1] == "NEW"
    assert d.occurrence_count == 501


# --------------------------------------------------------------------------- digests


def test_daily_digest_closes_at_local_midnight() -> None:
    label, ends = digest_period("daily", datetime(2025, 6, 2, 15, 0, tzinfo=UTC))  # 23:00 WITA
    assert label == "daily:2025-06-02"
    assert ends == datetime(2025, 6, 2, 16, 0, tzinfo=UTC)  # 00:00 WITA
    label, _ = digest_period("daily", datetime(2025, 6, 2, 16, 0, tzinfo=UTC))
    assert label == "daily:2025-06-03"


def test_hourly_digest() -> None:
    label, ends = digest_period("hourly", datetime(2025, 6, 2, 4, 20, tzinfo=UTC))
    assert label == "hourly:2025-06-02T12"
    assert ends == datetime(2025, 6, 2, 5, 0, tzinfo=UTC)


def test_unknown_digest() -> None:
    with pytest.raises(ValueError, match="digest"):
        digest_period("weekly", T0)
