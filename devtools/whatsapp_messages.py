"""What the fake Cloud API checks in a ``messages`` request body, and what the recipient's
phone would show (Graph API ``v21.0``; the fields and rules below are the ones Meta
documents for ``text``, ``template`` and ``interactive`` messages).

* ``text``: ``text.body`` 1-4096 characters (131009; missing: 131008).
* ``template``: ``template.name`` and ``template.language.code`` must name an approved
  template (404, 132001 "Template name does not exist in the translation"); the ``body``
  component's ``parameters`` (``{"type": "text", "text": ...}``) must be as many as the
  template's placeholders (132000 "Number of parameters does not match the expected
  number of params"), each non-empty and without newline, tab or five spaces in a row
  (132018); the body filled in at most 1,024 characters (132005 "Template Hydrated Text
  Too Long"). A ``button`` component is ``sub_type: quick_reply`` at an ``index`` the
  template has (``"0"``) with one ``{"type": "payload", "payload": ...}`` (131009); an
  authentication template's copy-code button is ``sub_type: url`` at ``"0"`` with one
  ``{"type": "text", "text": <the code>}``, 1-15 characters, and may not be left out
  (131008).
  The approved templates are :data:`notify_service.whatsapp_templates.REGISTERED`, the
  definition the sender uses and the office registers: they cannot drift apart.
* ``interactive`` (``type: button``): ``body.text`` 1-1024 characters, 1-3 buttons, each
  ``{"type": "reply", "reply": {"id": 1-256 characters, unique, "title": 1-20}}`` (131009,
  with Meta's ``error_data.details``).

Other message types (image, list, ...) are refused with 100 "Invalid parameter": the
sender never uses them. The 24-hour window is not checked here: Meta accepts a free
text outside it and fails it afterwards (:class:`devtools.whatsapp.WhatsAppGateway`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from notify_service.whatsapp_templates import (
    BODY_MAX,
    BUTTON_ID_MAX,
    BUTTON_TITLE_MAX,
    CODE_MAX,
    INTERACTIVE_BODY_MAX,
    REGISTERED,
    TEXT_MAX,
    Template,
    param_problem,
)

Templates = dict[tuple[str, str], Template]
PARAM_ISSUE = "(#132018) There was an issue with the parameters in your template."


@dataclass(frozen=True)
class Refusal:
    """A Graph API error answer: HTTP status, code, message, ``error_data.details``."""

    status: int
    code: int
    message: str
    details: str = ""


@dataclass
class Checked:
    """An acceptable message: its type, recipient, and what the phone shows."""

    type: str  # "text", "template", "interactive"
    to: str
    shown: str
    meta: dict[str, Any] = field(default_factory=dict)


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def invalid(details: str) -> Refusal:
    return Refusal(400, 131009, "(#131009) Parameter value is not valid", details)


def missing(details: str) -> Refusal:
    return Refusal(400, 131008, "(#131008) Required parameter is missing", details)


def check_message(body: dict[str, Any], templates: Templates = REGISTERED) -> Checked | Refusal:
    """The message ``body`` describes, or why Meta refuses it (see the module docstring)."""
    if body.get("messaging_product") != "whatsapp":
        return Refusal(400, 100, "(#100) Invalid parameter", "messaging_product")
    to = body.get("to")
    if not isinstance(to, str) or not to.lstrip("+").isdigit():
        return invalid("to")
    kind = body.get("type", "text")
    if kind == "text":
        return _text(to, body)
    if kind == "template":
        return _template(to, _obj(body.get("template")), templates)
    if kind == "interactive":
        return _interactive(to, _obj(body.get("interactive")))
    return Refusal(400, 100, "(#100) Invalid parameter", f"type {kind!r} is not supported here")


def _text(to: str, body: dict[str, Any]) -> Checked | Refusal:
    if not isinstance(body.get("text"), dict) or "body" not in body["text"]:
        return missing("text.body")
    message = body["text"]["body"]
    if not isinstance(message, str) or not message or len(message) > TEXT_MAX:
        return invalid("text.body")
    return Checked("text", to, message)


def _template(to: str, spec: dict[str, Any], templates: Templates) -> Checked | Refusal:
    name, language = spec.get("name"), _obj(spec.get("language")).get("code")
    if not isinstance(name, str) or not isinstance(language, str):
        return missing("template.name, template.language.code")
    template = templates.get((name, language))
    if template is None:
        return Refusal(
            404,
            132001,
            "(#132001) Template name does not exist in the translation",
            f"template name ({name}) does not exist in {language}",
        )
    components = spec.get("components", [])
    if not isinstance(components, list):
        return invalid("template.components")
    values: list[str] = []
    payloads: list[str] = []
    for component in map(_obj, components):
        kind = component.get("type")
        if kind == "body":
            params = component.get("parameters", [])
            if not isinstance(params, list):
                return invalid("body.parameters")
            for param in map(_obj, params):
                if param.get("type") != "text":
                    return invalid("body parameters must be of type text")
                if problem := param_problem(param.get("text")):
                    return Refusal(400, 132018, PARAM_ISSUE, problem)
                values.append(param["text"])
        elif kind == "button":
            button = _copy_code if template.button_kind == "copy_code" else _quick_reply
            payload = button(component, template)
            if isinstance(payload, Refusal):
                return payload
            payloads.append(payload)
        else:
            return invalid(f"component type {kind!r}")
    if len(values) != template.param_count:
        return Refusal(
            400,
            132000,
            "(#132000) Number of parameters does not match the expected number of params",
            f"body: number of localizable_params ({len(values)}) does not match the "
            f"expected number of params ({template.param_count})",
        )
    if template.button_kind == "copy_code" and not payloads:
        return missing("buttons: the copy code button's parameter (the code)")
    shown = template.fill(values)
    if len(shown) > BODY_MAX:
        return Refusal(400, 132005, "(#132005) Template Hydrated Text Too Long", "body")
    meta = {"template": name, "language": language, "params": values}
    return Checked(
        "template", to, shown, meta | {"buttons": [template.button], "payloads": payloads}
    )


def _quick_reply(component: dict[str, Any], template: Template) -> str | Refusal:
    """The payload of a quick-reply button parameter (the template has one, index 0)."""
    index, sub_type = component.get("index"), component.get("sub_type")
    if sub_type != "quick_reply" or str(index) != "0" or not template.button:
        return invalid(f"Button at index {index} of type {sub_type} does not exist")
    params = component.get("parameters")
    if not isinstance(params, list) or len(params) != 1 or _obj(params[0]).get("type") != "payload":
        return invalid("quick_reply buttons take one parameter of type payload")
    payload = params[0].get("payload")
    if not isinstance(payload, str) or not payload:
        return missing("button payload")
    return payload


def _copy_code(component: dict[str, Any], template: Template) -> str | Refusal:
    """The code of a copy-code button parameter (Meta stores the button as a URL one)."""
    index, sub_type = component.get("index"), component.get("sub_type")
    if sub_type != "url" or str(index) != "0":
        return invalid(f"Button at index {index} of type {sub_type} does not exist")
    params = component.get("parameters")
    if not isinstance(params, list) or len(params) != 1 or _obj(params[0]).get("type") != "text":
        return invalid("the copy code button takes one parameter of type text")
    code = params[0].get("text")
    if not isinstance(code, str) or not 1 <= len(code) <= CODE_MAX:
        return invalid(f"the code is 1-{CODE_MAX} characters")
    return code


def _interactive(to: str, spec: dict[str, Any]) -> Checked | Refusal:
    if spec.get("type") != "button":
        return invalid(f"interactive type {spec.get('type')!r} is not supported here")
    text = _obj(spec.get("body")).get("text")
    if not isinstance(text, str) or not text:
        return missing("interactive.body.text")
    if len(text) > INTERACTIVE_BODY_MAX:
        return invalid(
            f"Body text length invalid. Min length: 1, Max length: {INTERACTIVE_BODY_MAX}"
        )
    buttons = _obj(spec.get("action")).get("buttons")
    if not isinstance(buttons, list) or not 1 <= len(buttons) <= 3:
        return invalid("Buttons count invalid. Min count: 1, Max count: 3")
    ids: list[str] = []
    titles: list[str] = []
    for button in map(_obj, buttons):
        reply = _obj(button.get("reply"))
        reply_id, title = reply.get("id"), reply.get("title")
        if button.get("type") != "reply":
            return invalid("button type must be reply")
        if not isinstance(title, str) or not 1 <= len(title) <= BUTTON_TITLE_MAX:
            return invalid(
                f"Button title length invalid. Min length: 1, Max length: {BUTTON_TITLE_MAX}"
            )
        if not isinstance(reply_id, str) or not 1 <= len(reply_id) <= BUTTON_ID_MAX:
            return invalid(f"Button id length invalid. Min length: 1, Max length: {BUTTON_ID_MAX}")
        if reply_id in ids:
            return invalid("Button id is duplicate")
        ids.append(reply_id)
        titles.append(title)
    return Checked("interactive", to, text, {"buttons": titles, "payloads": ids})
