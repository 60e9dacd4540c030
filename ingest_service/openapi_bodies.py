"""The request bodies of the ingest API as JSON schemas, for its OpenAPI document.

The endpoints read the raw body (a format's parser decides what it means, so a bad item
rejects only itself), so FastAPI cannot derive these. They say what an upstream system
should send, and they let a fuzzer (schemathesis) generate reports that look real and
reach the parsers instead of failing at the door. The canonical schema is the
:class:`~shared.schemas.Report` model's, without the fields ingest sets itself; the
others follow the formats' own documentation (``ingest_service/formats/``).
"""

from __future__ import annotations

from typing import Any

from shared.schemas import Report

# set by ingest whatever the body says (the source from the key, the time of receipt)
SERVER_SET = ("source", "source_format", "home_area", "received_at", "resolution")
MAX_ITEMS = 1000


def _inline(node: Any, defs: dict[str, Any]) -> Any:
    """The schema with every ``#/$defs/X`` reference replaced by X (no cycles here)."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            return _inline(defs[ref.removeprefix("#/$defs/")], defs)
        return {k: _inline(v, defs) for k, v in node.items()}
    if isinstance(node, list):
        return [_inline(v, defs) for v in node]
    return node


def _batch(item: dict[str, Any], *keys: str) -> dict[str, Any]:
    """One item, an array of them, or ``{key: [...]}``."""
    many = {"type": "array", "items": item, "minItems": 1, "maxItems": MAX_ITEMS}
    wrapped = [{"type": "object", "properties": {k: many}, "required": [k]} for k in keys]
    return {"oneOf": [item, many, *wrapped]}


def report_schema() -> dict[str, Any]:
    schema = Report.model_json_schema()
    defs = schema.pop("$defs", {})
    for name in SERVER_SET:
        schema["properties"].pop(name, None)
    schema["required"] = [r for r in schema.get("required", []) if r not in SERVER_SET]
    schema["title"] = "Report (canonical, as sent)"
    return dict(_inline(schema, defs))


TEXT = {"type": "string", "maxLength": 200}
DATE = {"type": "string", "examples": ["2026-01-12", "12/03/1985"]}
LODGING_RECORD: dict[str, Any] = {
    "title": "Lodging stay (APOA)",
    "type": "object",
    "properties": {
        "id_laporan": {**TEXT, "examples": ["APOA-6310-2026-000123"]},
        "penginapan": {
            "type": "object",
            "properties": {
                "nama": TEXT,
                "alamat": TEXT,
                "kecamatan": TEXT,
                "kabupaten": TEXT,
                "kode_wilayah": {"type": "string", "pattern": r"^\d{2}(\.\d{2}){1,2}$"},
            },
        },
        "tamu": {
            "type": "object",
            "properties": {
                "nama_lengkap": {**TEXT, "pattern": r"\S"},
                "kewarganegaraan": {**TEXT, "examples": ["Tiongkok", "CHN"]},
                "nomor_paspor": {"type": "string", "pattern": r"^[A-Za-z0-9][A-Za-z0-9 -]{2,19}$"},
                "tanggal_lahir": DATE,
                "jenis_kelamin": {"enum": ["L", "P"]},
                "jenis_izin": {**TEXT, "examples": ["ITK", "ITAS"]},
                "tanggal_habis_izin": DATE,
            },
            "anyOf": [{"required": ["nama_lengkap"]}, {"required": ["nomor_paspor"]}],
        },
        "tgl_masuk": {"type": "string", "examples": ["2026-01-12 14:30 WITA"]},
        "tgl_keluar": {"type": ["string", "null"]},
    },
    "required": ["tamu"],
}

TELEGRAM_UPDATE: dict[str, Any] = {
    "title": "Telegram Update (Bot API 9)",
    "type": "object",
    "properties": {
        "update_id": {"type": "integer"},
        "message": {
            "type": "object",
            "properties": {
                "message_id": {"type": "integer"},
                "date": {"type": "integer"},
                "from": {
                    "type": "object",
                    "properties": {"id": {"type": "integer"}, "first_name": TEXT},
                },
                "chat": {
                    "type": "object",
                    "properties": {"id": {"type": "integer"}, "type": {"enum": ["group"]}},
                    "required": ["id"],
                },
                "text": {"type": "string", "maxLength": 4096, "examples": ["LAPOR Satui ada WNA"]},
            },
            "required": ["message_id", "chat"],
        },
    },
    "required": ["update_id"],
}


def _array(items: dict[str, Any], most: int) -> dict[str, Any]:
    return {"type": "array", "items": items, "maxItems": most}


WA_MESSAGE: dict[str, Any] = {
    "type": "object",
    "properties": {
        "from": {"type": "string", "pattern": r"^\d{8,15}$"},
        "id": {"type": "string"},
        "timestamp": {"type": "string"},
        "type": {"enum": ["text", "image"]},
        "text": {"type": "object", "properties": {"body": {"type": "string"}}},
    },
}
WA_VALUE: dict[str, Any] = {
    "type": "object",
    "properties": {
        "messaging_product": {"const": "whatsapp"},
        "contacts": {"type": "array", "maxItems": 5},
        "messages": _array(WA_MESSAGE, 10),
    },
}
WA_CHANGE = {"type": "object", "properties": {"field": {"const": "messages"}, "value": WA_VALUE}}
WA_ENTRY = {
    "type": "object",
    "properties": {"id": {"type": "string"}, "changes": _array(WA_CHANGE, 5)},
}
WHATSAPP_NOTIFICATION: dict[str, Any] = {
    "title": "WhatsApp Cloud API webhook (messages, Graph API v23)",
    "type": "object",
    "properties": {
        "object": {"const": "whatsapp_business_account"},
        "entry": _array(WA_ENTRY, 5),
    },
    "required": ["object", "entry"],
}


def body(media_type: str, schema: dict[str, Any]) -> dict[str, Any]:
    """``openapi_extra`` for a route that reads its body itself."""
    return {"requestBody": {"required": True, "content": {media_type: {"schema": schema}}}}


def canonical_body() -> dict[str, Any]:
    return body("application/json", _batch(report_schema(), "reports"))


def lodging_body() -> dict[str, Any]:
    return body("application/json", _batch(LODGING_RECORD, "laporan", "reports"))
