"""WhatsApp's 24-hour customer-service window: when a member last wrote to our number, and
whether an alert may go as free text (with a reply button) or must be a template.

Load → decide → persist:

* **persist** — the reply webhook (``POST /v1/webhooks/whatsapp``) records every inbound
  message (a reply, a button press, any text) as the sender's last inbound time
  (:func:`record_inbound`; Meta's ``timestamp``, never later than the webhook's arrival).
  Only messages from the Cloud API count: nothing else opens the window.
* **load** — before sending, the last inbound time of each WhatsApp recipient
  (:func:`last_inbound_of`: one query per group of sends).
* **decide** — :func:`whatsapp_mode`, pure, called by the channel where it builds the
  request: ``"free"`` inside the window (less a margin: a message sent at 23 h 59 min
  may reach Meta after the 24 h), ``"template"`` otherwise and for a member who never
  wrote.

The table is keyed by a keyed digest of the number (HMAC-SHA256 with
``TIMPORA_SECRET_KEY``), not the number: anyone may message the reply number, and a
stranger's phone number is personal data we have no reason to keep. A new secret key
forgets every window, which only means templates until members write again.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal

from sqlalchemy import String, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from shared.adapters.bulk_sql import in_values
from shared.db import Base, UtcDateTime, is_postgresql, transaction
from shared.phones import to_e164
from shared.schemas import utcnow

if TYPE_CHECKING:  # the channel imports the decision; deps imports the channels
    from notify_service.deps import NotifyDeps

Mode = Literal["free", "template"]
WINDOW = timedelta(hours=24)
MARGIN = timedelta(minutes=10)  # inside means younger than 23 h 50 min


def whatsapp_mode(
    last_inbound_at: datetime | None,
    now: datetime,
    window: timedelta = WINDOW,
    margin: timedelta = MARGIN,
) -> Mode:
    """``"free"`` when the member's last message is younger than ``window - margin``
    (free text and interactive messages are delivered), else ``"template"``."""
    if last_inbound_at is None:
        return "template"
    return "free" if now - last_inbound_at < window - margin else "template"


class WhatsAppWindowRow(Base):
    """The last time a WhatsApp number wrote to the reply number (one row per number)."""

    __tablename__ = "whatsapp_windows"

    number_key: Mapped[str] = mapped_column(String(64), primary_key=True)  # number_key()
    last_inbound_at: Mapped[datetime] = mapped_column(UtcDateTime)


def number_key(secret: str, number: str) -> str | None:
    """The row key of a number written in any accepted form (``None``: not a number)."""
    e164 = to_e164(number)
    return None if e164 is None else e164_key(secret, e164)


def e164_key(secret: str, e164: str) -> str:
    """The row key of a number already in E.164 (the directory stores members' numbers so:
    no parsing per send, which with 30,000 members would rarely hit a cache)."""
    return hmac.new(
        secret.encode(), b"whatsapp-window\x00" + e164.encode(), hashlib.sha256
    ).hexdigest()


async def last_inbound(*, session: AsyncSession, keys: Iterable[str]) -> dict[str, datetime]:
    """The last inbound time per number key (keys never seen are absent)."""
    wanted = sorted(set(keys))
    if not wanted:
        return {}
    rows = await session.execute(
        select(WhatsAppWindowRow.number_key, WhatsAppWindowRow.last_inbound_at).where(
            in_values(session, WhatsAppWindowRow.number_key, wanted)
        )
    )
    return {key: at for key, at in rows.all()}


async def record_inbound(*, session: AsyncSession, seen: Mapping[str, datetime]) -> None:
    """Upsert each number key's last inbound time, never moving it back (Meta redelivers
    and reorders notifications)."""
    if not seen:
        return
    table = WhatsAppWindowRow.__table__
    values = [{"number_key": k, "last_inbound_at": at} for k, at in sorted(seen.items())]
    if is_postgresql(session):
        insert = postgresql.insert(table).values(values)
        newest = func.greatest(table.c.last_inbound_at, insert.excluded.last_inbound_at)
    else:
        insert = sqlite.insert(table).values(values)  # type: ignore[assignment]
        newest = func.max(table.c.last_inbound_at, insert.excluded.last_inbound_at)
    await session.execute(
        insert.on_conflict_do_update(
            index_elements=["number_key"], set_={"last_inbound_at": newest}
        )
    )


def _secret(deps: NotifyDeps) -> str:
    return deps.settings.secret_key.get_secret_value()


async def last_inbound_of(deps: NotifyDeps, numbers: Iterable[str | None]) -> dict[str, datetime]:
    """The last inbound time per number of the recipients that have one; no query when
    there are no numbers. The numbers are members' as the directory stores them (E.164)."""
    secret = _secret(deps)
    keys = {n: e164_key(secret, n) for n in numbers if n}
    if not keys:
        return {}
    async with deps.runtime.sessions() as session:
        found = await last_inbound(session=session, keys=keys.values())
    return {n: found[k] for n, k in keys.items() if k in found}


async def save_inbound(
    deps: NotifyDeps, messages: Iterable[tuple[str, datetime | None]], now: datetime | None = None
) -> None:
    """Record (sender, Meta's timestamp) of inbound messages; a missing or future time is
    the webhook's arrival time."""
    now = now or utcnow()
    secret = _secret(deps)
    seen: dict[str, datetime] = {}
    for sender, at in messages:
        key = number_key(secret, sender)
        if key is None:
            continue
        at = now if at is None or at > now else at
        seen[key] = max(at, seen.get(key, at))
    if seen:
        async with transaction(deps.runtime.sessions) as session:
            await record_inbound(session=session, seen=seen)
