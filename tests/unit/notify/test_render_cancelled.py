"""The last version of an alert its source cancelled (CAP Cancel, reason ``cancelled``):
every channel says so plainly, in Indonesian and English, and asks for no reply."""

from __future__ import annotations

from notify_service.plan import plan_member
from notify_service.render import render
from shared.schemas import AlertReason
from tests.unit.notify import render_cases as cases


def cancelled():  # type: ignore[no-untyped-def]
    return cases.alert(reason=AlertReason.cancelled, version=3)


def test_sms_leads_with_dibatalkan() -> None:
    text = render(cancelled(), cases.MEMBER, "sms", link=cases.LINK).text
    assert text.startswith("[TIMPORA] DIBATALKAN: ")
    assert "Dibatalkan oleh sumber, tidak perlu tindakan" in text
    assert "Balas OK" not in text
    en = render(cancelled(), cases.MEMBER_EN, "sms", link=cases.LINK).text
    assert en.startswith("[TIMPORA] CANCELLED: ")
    assert "Reply OK" not in en


def test_chat_and_email_say_the_source_cancelled_it() -> None:
    for channel in cases.CHAT:
        text = render(cancelled(), cases.MEMBER, channel, link=cases.LINK).text
        assert "— DIBATALKAN" in text
        assert "membatalkan peringatan ini" in text
        assert "Balas OK" not in text
        en = render(cancelled(), cases.MEMBER_EN, channel, link=cases.LINK).text
        assert "cancelled this alert" in en
    email = render(cancelled(), cases.MEMBER, "email", link=cases.LINK)
    assert "PERINGATAN INI DIBATALKAN oleh sumber laporan" in email.text
    assert "DIBATALKAN" in (email.subject or "")
    assert "Konfirmasi" not in email.text
    en = render(cancelled(), cases.MEMBER_EN, "email", link=cases.LINK)
    assert "THIS ALERT WAS CANCELLED by its source" in en.text


def test_other_reasons_do_not_say_cancelled() -> None:
    for channel in ("sms", *cases.CHAT, "email"):
        text = render(cases.alert(), cases.MEMBER, channel, link=cases.LINK).text
        assert "DIBATALKAN" not in text


def test_a_cancelled_version_is_delivered_like_a_new_one_sms_included() -> None:
    planned = plan_member(cancelled(), cases.MEMBER, cases.alert().routed_at)
    assert "sms" in planned.channels
