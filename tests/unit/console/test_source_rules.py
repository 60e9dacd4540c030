"""Which sources and feed subscribers a user sees, and what does not fit between the key
files and the office records (the decisions of ``timpora sources list``, ``timpora feeds
list`` and the console's ``/sources`` page)."""

from __future__ import annotations

from console_service.feed_keys import FeedKey
from console_service.source_rules import (
    feed_problems,
    owner_of,
    source_problems,
    source_views,
    subscriber_views,
)
from shared.offices import Office
from shared.sources import SourceKey

HASH = "0" * 64
BATULICIN = Office(id="batulicin", name="Kanim Batulicin", home_area=["63.10", "63.02"],
                   fallback_team="timpora-63.10", sources=["apoa-kalsel", "gone"])  # fmt: skip
BANJARMASIN = Office(id="banjarmasin", name="Kanim Banjarmasin", home_area=["63.71"],
                     fallback_team="timpora-63", sources=["polda-kalsel"])  # fmt: skip
SOURCES = [
    SourceKey(
        source="apoa-kalsel",
        key_sha256=HASH,
        formats=frozenset({"lodging", "canonical"}),
        home_area=("63.10", "63.03"),
        description="APOA",
    ),
    SourceKey(
        source="polda-kalsel", key_sha256=HASH, formats=frozenset({"cap"}), home_area=("63.71",)
    ),
    SourceKey(source="simkim", key_sha256=HASH, formats=frozenset({"canonical"})),
]
SUBSCRIBERS = [
    FeedKey(subscriber="polres-tanbu", office="batulicin", key_sha256=HASH),
    FeedKey(
        subscriber="pemkot-bjm", office="banjarmasin", key_sha256=HASH, rate_limit_per_minute=10
    ),
    FeedKey(subscriber="polres-x", office="nowhere", key_sha256=HASH),
]
OFFICES = [BATULICIN, BANJARMASIN]


def test_an_office_sees_only_the_sources_it_owns() -> None:
    assert [v.source for v in source_views(SOURCES, OFFICES, "batulicin")] == ["apoa-kalsel"]
    assert [v.source for v in source_views(SOURCES, OFFICES, "banjarmasin")] == ["polda-kalsel"]
    assert source_views(SOURCES, OFFICES, "kotabaru") == []


def test_an_administrator_sees_every_source_with_its_owner() -> None:
    views = {v.source: v for v in source_views(SOURCES, OFFICES, None)}
    assert views.keys() == {"apoa-kalsel", "polda-kalsel", "simkim"}
    assert views["apoa-kalsel"].office == "batulicin"
    assert views["apoa-kalsel"].formats == ("canonical", "lodging")
    assert views["simkim"].office is None
    assert views["simkim"].home_area == ()
    assert owner_of(OFFICES, "simkim") is None


def test_views_never_carry_a_key_hash() -> None:
    for view in [*source_views(SOURCES, OFFICES, None), *subscriber_views(SUBSCRIBERS, None)]:
        assert HASH not in repr(view)


def test_subscribers_are_shown_to_their_office_with_the_feed_path() -> None:
    (own,) = subscriber_views(SUBSCRIBERS, "banjarmasin")
    assert (own.subscriber, own.feed, own.rate_limit_per_minute) == (
        "pemkot-bjm", "/v1/feeds/banjarmasin/cap.atom", 10,
    )  # fmt: skip
    assert len(subscriber_views(SUBSCRIBERS, None)) == 3


def test_what_does_not_fit_between_the_files_and_the_records() -> None:
    assert source_problems(SOURCES, OFFICES) == [
        "office 'batulicin' owns source 'gone', which the key file lacks",
        "source 'apoa-kalsel': home area 63.03 lies outside its office 'batulicin' (63.10, 63.02)",
    ]
    assert feed_problems(SUBSCRIBERS, OFFICES) == [
        "feed subscriber 'polres-x' reads office 'nowhere', which no office record has "
        "(its feed answers 404)"
    ]
