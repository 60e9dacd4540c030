"""The Jinja2 templates (``templates/{sms,chat,email,subject}.{id,en}.j2``), rendered from a
merged dict of globals."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template, select_autoescape
from jinja2.utils import concat


@cache
def environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(Path(__file__).parent / "templates"),
        undefined=StrictUndefined,
        keep_trailing_newline=False,
        auto_reload=False,  # templates ship with the code: no stat() per message
        autoescape=select_autoescape(enabled_extensions=("html", "html.j2"), default=False),
    )


@cache
def _compiled(kind: str, language: str) -> tuple[Template, dict[str, Any]]:
    template = environment().get_template(f"{kind}.{language}.j2")
    return template, dict(template.globals)


def render_template(kind: str, language: str, ctx: dict[str, Any]) -> str:
    """``Template.render(**ctx)``, at half its cost: ``render`` copies the template's
    globals (a ChainMap) into every new context, which took longer than the rendering of
    our small templates; here they are merged from a plain dict (same names, same result,
    tested against ``render``)."""
    template, globals_ = _compiled(kind, language)
    context = template.new_context({**globals_, **ctx}, shared=True)
    return concat(template.root_render_func(context))
