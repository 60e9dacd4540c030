"""The logging filter: the last line of defence for personal data in log records.

Whatever a log call formats, the record leaves the process without clear passport numbers,
phone numbers, emails or names after a cue (the rules of :mod:`shared.pii.text`). A log
call that handles a person's data says so with ``extra={"pii": {field: value}}`` (field
names as in the schema: ``full_name``, ``passport_number``, ``phone``...): those values are
masked wherever they appear in the message, the other extras and the exception, and
``record.pii`` itself holds their masks.
"""

from __future__ import annotations

import logging

from shared.pii.text import name_variants, scrub_text
from shared.pii.values import _masker_for, mask_name, mask_value

PII_EXTRA = "pii"


def _marked(record: logging.LogRecord) -> tuple[list[str], list[tuple[str, str]]]:
    """What the record marks as personal (``extra={"pii": ...}``): name variants, and
    (clear, masked) pairs of the other values; ``record.pii`` keeps the masks only."""
    marked = record.__dict__.get(PII_EXTRA)
    if not isinstance(marked, dict):
        return [], []
    names: list[str] = []
    values: list[tuple[str, str]] = []
    for field, value in marked.items():
        if isinstance(value, str) and len(value) >= 3:
            if _masker_for(str(field)) is mask_name:
                names += name_variants(value)
            else:
                values.append((value, str(mask_value(str(field), value))))
    setattr(record, PII_EXTRA, {k: mask_value(str(k), v) for k, v in marked.items()})
    return names, values


class PiiLogFilter(logging.Filter):
    """Scrub passport numbers, phone numbers, emails and names from log records.

    The formatted message, string ``extra`` fields, the exception text and the stack
    are scrubbed; the filter never drops a record. Cheap when there is nothing to find:
    a record without digits, ``@`` or marked values costs one regex pass for the cues.
    """

    STANDARD = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime", PII_EXTRA}

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: let logging report it as usual
            return True
        names, values = _marked(record)

        def scrub(text: str) -> str:
            for clear, masked in values:
                text = text.replace(clear, masked)
            return scrub_text(text, names)

        scrubbed = scrub(message)
        if scrubbed != message:
            record.msg, record.args = scrubbed, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = scrub(record.exc_text)
        if record.stack_info:
            record.stack_info = scrub(record.stack_info)
        for key, value in list(record.__dict__.items()):
            if key not in self.STANDARD and isinstance(value, str):
                setattr(record, key, scrub(value))
        return True
