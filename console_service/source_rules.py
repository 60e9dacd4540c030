"""Who sends reports and who reads feeds, against the office records (pure): the office
that owns a source, which sources and feed subscribers a user may see, and what does not
fit between the key files and the records. Used by ``timpora sources list``, ``timpora
feeds list`` and the console's ``/sources`` page alike. Nothing here holds a key or its hash."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from console_service.feed_keys import FeedKey
from shared.offices import Office
from shared.sources import SourceKey


@dataclass(frozen=True)
class SourceView:
    """A source as an operator sees it: never its key's hash."""

    source: str
    description: str
    formats: tuple[str, ...]
    home_area: tuple[str, ...]  # empty: anywhere (a national system)
    office: str | None  # the office owning it; None: no office (a national system)
    kafka_principal: str | None


@dataclass(frozen=True)
class SubscriberView:
    """An agency reading an office's CAP feed: never its key's hash."""

    subscriber: str
    description: str
    office: str
    feed: str  # the feed's path
    rate_limit_per_minute: int | None


def owner_of(offices: Sequence[Office], source: str) -> Office | None:
    return next((o for o in offices if source in o.sources), None)


def source_views(
    sources: Sequence[SourceKey], offices: Sequence[Office], office: str | None
) -> list[SourceView]:
    """The sources shown to a user of ``office`` (None: an administrator, every source):
    an office's users see only the sources their office owns."""
    views = []
    for s in sources:
        owner = owner_of(offices, s.source)
        if office is None or (owner is not None and owner.id == office):
            views.append(
                SourceView(
                    source=s.source,
                    description=s.description,
                    formats=tuple(sorted(s.formats)),
                    home_area=tuple(s.home_area),
                    office=owner.id if owner else None,
                    kafka_principal=s.kafka_principal,
                )
            )
    return views


def subscriber_views(subscribers: Sequence[FeedKey], office: str | None) -> list[SubscriberView]:
    """The feed subscribers shown to a user of ``office`` (None: every subscriber)."""
    return [
        SubscriberView(
            subscriber=s.subscriber,
            description=s.description,
            office=s.office,
            feed=f"/v1/feeds/{s.office}/cap.atom",
            rate_limit_per_minute=s.rate_limit_per_minute,
        )
        for s in subscribers
        if office is None or s.office == office
    ]


def source_problems(sources: Sequence[SourceKey], offices: Sequence[Office]) -> list[str]:
    """What does not fit between the key file and the office records: a source an office
    names that the key file lacks, a source whose home area lies outside its office's.
    (A source without an office is allowed: a national system.)"""
    known = {s.source for s in sources}
    out = [
        f"office {o.id!r} owns source {name!r}, which the key file lacks"
        for o in offices
        for name in o.sources
        if name not in known
    ]
    for source in sources:
        office = owner_of(offices, source.source)
        outside = [a for a in source.home_area if office and not office.covers(a)]
        if office and outside:
            out.append(
                f"source {source.source!r}: home area {', '.join(outside)} lies outside "
                f"its office {office.id!r} ({', '.join(office.home_area)})"
            )
    return out


def feed_problems(subscribers: Sequence[FeedKey], offices: Sequence[Office]) -> list[str]:
    """Feed keys bound to an office no record has: their feed answers 404 to them."""
    known = {o.id for o in offices}
    return [
        f"feed subscriber {s.subscriber!r} reads office {s.office!r}, which no office "
        "record has (its feed answers 404)"
        for s in subscribers
        if s.office not in known
    ]
