"""WhatsApp Cloud API notifications → (sender, text) of the replies that can ack."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from notify_service.replies import Reply, parse_reply, whatsapp_replies


def _note(*messages: dict[str, Any], statuses: bool = False) -> dict[str, Any]:
    value: dict[str, Any] = {"messaging_product": "whatsapp", "messages": list(messages)}
    if statuses:
        value["statuses"] = [{"id": "wamid.X", "status": "delivered"}]
    return {"object": "whatsapp_business_account", "entry": [{"changes": [{"value": value}]}]}


def test_text_button_and_interactive_replies_in_order() -> None:
    data = _note(
        {"from": "6281200000103", "type": "text", "text": {"body": "OK 7KQ2X"}},
        {"from": "6281200000104", "type": "button", "button": {"payload": "ack:7KQ2X"}},
        {
            "from": "+6281200000105",
            "type": "interactive",
            "interactive": {"type": "button_reply", "button_reply": {"id": "ack:7KQ2X"}},
        },
    )
    replies = whatsapp_replies(data)
    assert replies == [
        ("+6281200000103", "OK 7KQ2X"),
        ("+6281200000104", "ack 7KQ2X"),
        ("+6281200000105", "ack 7KQ2X"),
    ]
    assert all(parse_reply(text) == Reply("ack", "7KQ2X") for _, text in replies)


@pytest.mark.parametrize(
    "data",
    [
        _note(statuses=True),  # delivery receipts only
        _note({"from": "6281", "type": "image", "image": {"id": "1"}}),  # no text
        _note({"type": "text", "text": {"body": "OK 7KQ2X"}}),  # no sender
        {"entry": "not a list"},
        {"entry": [{"changes": [{"value": {"messages": [None, 3, "x"]}}]}]},
        _note({"from": "6281", "interactive": [], "button": "x", "text": ["OK 7KQ2X"]}),
        _note({"from": ["6281"], "text": {"body": "OK 7KQ2X"}}),
        _note({"from": "12", "type": "text", "text": {"body": "OK 7KQ2X"}}),  # not a number
        [],
        None,
    ],
)
def test_nothing_to_ack(data: Any) -> None:
    assert whatsapp_replies(data) == []


KEYS = ["entry", "changes", "value", "messages", "from", "text", "body", "button", "payload"]
KEYS += ["interactive", "button_reply", "id", "title"]
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=20,
)


@settings(max_examples=500)
@given(json_values)
def test_any_json_is_handled_without_errors(data: Any) -> None:
    for sender, text in whatsapp_replies(data):
        assert sender.startswith("+")
        assert isinstance(text, str)
