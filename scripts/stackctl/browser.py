"""Chromium for the console's browser tests: Debian's package (``apt-get install
chromium`` when missing). Playwright drives it through ``executable_path``; its own
browser download is not used (it cannot reach its CDN from CI)."""

from __future__ import annotations

import shutil

from stackctl.common import StackError, apt_install, say


def chromium_path() -> str | None:
    return shutil.which("chromium")


def browser_up() -> str:
    if path := chromium_path():
        return path
    apt_install("chromium")
    if path := chromium_path():
        say(f"chromium installed at {path}")
        return path
    raise StackError("no chromium after `apt-get install chromium`")
