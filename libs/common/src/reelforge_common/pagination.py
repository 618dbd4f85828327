"""Opaque keyset-pagination cursors: ``(timestamp, id)`` of a page's last row."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime


def encode_cursor(at: datetime, row_id: str) -> str:
    return base64.urlsafe_b64encode(json.dumps([at.isoformat(), row_id]).encode()).decode()


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    """The position a cursor names; ValueError if it is not one :func:`encode_cursor` made."""
    try:
        at, row_id = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        return datetime.fromisoformat(at), str(row_id)
    except (ValueError, TypeError, binascii.Error) as exc:
        raise ValueError("not a cursor this API returned") from exc


def after_cursor(cursor: str) -> tuple[datetime, str] | None:
    """The position to list after: None for the first page (an empty cursor);
    ValueError if ``cursor`` is not one :func:`encode_cursor` made."""
    return decode_cursor(cursor) if cursor else None


def page_size(requested: int, *, default: int = 20, maximum: int = 100) -> int:
    """The rows a page holds: ``default`` when none is asked, never above ``maximum``."""
    return min(requested or default, maximum)
