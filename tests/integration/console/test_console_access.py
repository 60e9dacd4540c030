"""The console's access control on real PostgreSQL and Kafka: sessions, CSRF, lockout,
and scopes (an operator of one office never sees or touches another office's alerts)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from console_service.web.models import AuditEntry, ConsoleUser
from shared.db import make_engine, make_sessionmaker
from tests.integration.console.conftest import PASSPORT_A, Console

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]

PAGES = ["/", "/alerts", "/alerts/rows", "/audit"]
ALERT_PAGES = ["/alerts/{id}", "/alerts/{id}/state"]
ALERT_ACTIONS = [
    "/alerts/{id}/ack",
    "/alerts/{id}/close",
    "/alerts/{id}/note",
    "/alerts/{id}/reveal",
]


async def audit_rows(database_url: str) -> list[AuditEntry]:
    engine = make_engine(database_url)
    async with make_sessionmaker(engine)() as session:
        rows = list(await session.scalars(select(AuditEntry).order_by(AuditEntry.id)))
    await engine.dispose()
    return rows


async def test_every_page_without_a_session_goes_to_login(console: Console) -> None:
    alert = console.alerts["batulicin"]
    for path in PAGES + [p.format(id=alert) for p in ALERT_PAGES]:
        response = await console.client.get(path)
        assert (response.status_code, response.headers.get("location")) == (303, "/login"), path
    for path in [p.format(id=alert) for p in ALERT_ACTIONS] + ["/logout"]:
        response = await console.client.post(path, data={"csrf": "x"})
        assert (response.status_code, response.headers.get("location")) == (303, "/login"), path
    # htmx polling without a session: 401 and a redirect htmx follows
    response = await console.client.get("/alerts/rows", headers={"HX-Request": "true"})
    assert (response.status_code, response.headers["HX-Redirect"]) == (401, "/login")
    # a forged cookie is no session either
    console.client.cookies.set("timpora_session", "forged.value")
    assert (await console.client.get("/")).status_code == 303


async def test_login_sets_a_fresh_hardened_session(console: Console) -> None:
    console.client.cookies.set("timpora_session", "planted-by-an-attacker")
    response = await console.login("ops-a")
    assert (response.status_code, response.headers["location"]) == (303, "/")
    cookie = next(h for h in response.headers.get_list("set-cookie") if "timpora_session=" in h)
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "planted-by-an-attacker" not in cookie  # session fixation: a new id at login
    fresh = cookie.split(";")[0].split("=", 1)[1]
    console.client.cookies.clear()
    console.client.cookies.set("timpora_session", "planted-by-an-attacker")
    assert (await console.client.get("/")).status_code == 303  # the planted one is nothing
    console.client.cookies.clear()
    console.client.cookies.set("timpora_session", fresh)
    page = await console.client.get("/")
    assert page.status_code == 200
    assert "ops-a" in page.text
    assert page.headers["cache-control"] == "no-store"
    assert "default-src 'self'" in page.headers["content-security-policy"]
    # logout ends the session on the server: the old cookie no longer works
    old = console.client.cookies["timpora_session"]
    await console.client.post("/logout", data={"csrf": await console.csrf()})
    console.client.cookies.set("timpora_session", old)
    assert (await console.client.get("/")).status_code == 303
    actions = [(e.username, e.action) for e in await audit_rows(console.database_url)]
    assert actions == [("ops-a", "login"), ("ops-a", "logout")]


async def test_lockout_after_repeated_failures(console: Console) -> None:
    for _ in range(5):
        response = await console.login("ops-a", "wrong password!!")
        assert response.headers["location"] == "/login?error=login_failed"
    # locked: even the right password is refused now, and says so
    response = await console.login("ops-a")
    assert response.headers["location"] == "/login?error=login_locked"
    assert (await console.client.get("/")).status_code == 303
    # the login page shows only its own messages, never a crafted one from the URL
    crafted = await console.client.get("/login?error=Akun+diblokir,+hubungi+0812")
    assert "hubungi" not in crafted.text
    assert 'role="alert"' not in crafted.text
    # an unknown user reads exactly like a wrong password
    response = await console.login("nobody", "whatever password")
    assert response.headers["location"] == "/login?error=login_failed"
    actions = [e.action for e in await audit_rows(console.database_url)]
    assert actions == ["login_wrong_password"] * 5 + ["login_locked", "login_unknown_user"]
    engine = make_engine(console.database_url)
    async with make_sessionmaker(engine)() as session:
        user = await session.scalar(select(ConsoleUser).where(ConsoleUser.username == "ops-a"))
        assert user is not None
        assert user.locked_until is not None
        assert user.failed_logins == 5
    await engine.dispose()


async def test_csrf_is_required_on_every_form(console: Console) -> None:
    # the login form itself (a login CSRF would sign the victim into the attacker's account)
    response = await console.client.post(
        "/login", data={"username": "ops-a", "password": "correct horse battery"}
    )
    assert response.status_code == 403
    await console.login("ops-a")
    alert = console.alerts["batulicin"]
    for path in [p.format(id=alert) for p in ALERT_ACTIONS] + ["/logout"]:
        assert (await console.client.post(path, data={"note": "x"})).status_code == 403, path
        bad = await console.client.post(path, data={"note": "x", "csrf": "guessed"})
        assert bad.status_code == 403, path
    assert (await console.client.get("/")).status_code == 200  # still logged in


async def test_an_operator_never_reaches_another_offices_alerts(console: Console) -> None:
    theirs = console.alerts["banjarmasin"]
    mine = console.alerts["batulicin"]
    await console.login("ops-a")
    csrf = await console.csrf()
    for path in [p.format(id=theirs) for p in ALERT_PAGES]:
        assert (await console.client.get(path)).status_code == 404, path
    for path in [p.format(id=theirs) for p in ALERT_ACTIONS]:
        response = await console.client.post(path, data={"csrf": csrf, "note": "x"})
        assert response.status_code == 404, path
    for path in ["/alerts", "/alerts/rows", "/alerts?code=63.71", "/alerts/rows?code=63", "/"]:
        page = await console.client.get(path)
        assert page.status_code == 200, path
        assert theirs not in page.text, path
        assert "63.71.01" not in page.text, path  # its place, in no table or count
    listed = await console.client.get("/alerts")
    assert mine in listed.text
    export = await console.client.get("/alerts.csv")  # the export is scoped the same way
    assert export.headers["content-type"].startswith("text/csv")
    assert mine in export.text
    assert theirs not in export.text
    assert PASSPORT_A not in export.text
    # and the other way round
    await console.client.post("/logout", data={"csrf": csrf})
    await console.login("ops-b")
    assert (await console.client.get(f"/alerts/{mine}")).status_code == 404
    assert (await console.client.get(f"/alerts/{theirs}")).status_code == 200
    # nothing was acked, closed or noted by the refused actions
    audited = {e.action for e in await audit_rows(console.database_url)}
    assert audited == {"login", "logout", "export"}


async def test_story_is_masked_and_reveal_is_audited(console: Console) -> None:
    alert = console.alerts["batulicin"]
    await console.login("ops-a")
    page = await console.client.get(f"/alerts/{alert}")
    assert page.status_code == 200
    assert PASSPORT_A not in page.text
    assert "Nguyen Van An" not in page.text
    assert "63.10.06" in page.text
    revealed = await console.client.post(
        f"/alerts/{alert}/reveal", data={"csrf": await console.csrf()}
    )
    assert revealed.status_code == 200
    assert PASSPORT_A in revealed.text
    assert revealed.headers["cache-control"] == "no-store"
    views = [
        (e.username, e.target)
        for e in await audit_rows(console.database_url)
        if e.action == "view_pii"
    ]
    assert views == [("ops-a", alert)]


async def test_a_viewer_reads_but_cannot_act(console: Console) -> None:
    alert = console.alerts["batulicin"]
    await console.login("view-a")
    page = await console.client.get(f"/alerts/{alert}")
    assert page.status_code == 200
    assert 'id="ack"' not in page.text
    csrf = await console.csrf()
    for path in [p.format(id=alert) for p in ALERT_ACTIONS]:
        response = await console.client.post(path, data={"csrf": csrf, "note": "x"})
        assert response.status_code == 403, path


async def test_logins_are_throttled_per_address(console_factory) -> None:  # type: ignore[no-untyped-def]
    async with console_factory(login_attempts_per_minute=3) as console:
        for username in ("ops-a", "view-a", "nobody"):  # spread over accounts: still counted
            response = await console.login(username, "wrong password!!")
            assert response.status_code == 303
        throttled = await console.login("ops-b")  # even the right password, for now
        assert throttled.status_code == 429
        assert throttled.headers["retry-after"] == "60"
        assert (await console.client.get("/")).status_code == 303
