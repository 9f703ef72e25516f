"""Rendered pages, kept until the plant changes: most requests are a session lookup and a copy.

A GET of a plant's page or API answer is cached by (plant, the plant's newest audit row, the day, account,
path and query). Every change to a plant (a version, a status, an approval, evidence, traffic) appends an
audit row, so a new row makes the old entries unreachable; they age out of the LRU. The day is there because
the analysis is as of today. The account is part of the key because pages show what its role may do; the
session's CSRF token is cut out of the stored body and the reader's own put back. Only 200 answers are kept,
never file downloads, within a byte budget.
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from dataclasses import dataclass

from sqlalchemy import func, select

from ..store.tables import AuditRow

CACHED_PREFIXES = ("/plants/", "/api/plants/")
NOT_CACHED = ("/documents/", "/evidence/", "/procurement/", "/change-record", "/diagram.svg")


KEPT_HEADERS_EXCEPT = {b"content-length", b"content-type", b"set-cookie", b"date", b"server"}


@dataclass
class Entry:
    body: bytes
    media_type: str
    size: int
    headers: list[tuple[bytes, bytes]]  # the route's own headers (X-Total-Count, ...), replayed on a hit


class PageCache:
    def __init__(self, max_bytes: int = 256 * 1024 * 1024) -> None:
        self.max_bytes = max_bytes
        self.sentinel = f"zw-csrf-{secrets.token_hex(16)}".encode()
        self._items: OrderedDict[tuple, Entry] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    @staticmethod
    def plant_of(path: str) -> str | None:
        """The plant id of a cacheable path, or None."""
        for prefix in CACHED_PREFIXES:
            if path.startswith(prefix):
                if any(part in path for part in NOT_CACHED):
                    return None
                slug = path[len(prefix):].split("/", 1)[0]
                return slug or None
        return None

    @staticmethod
    def generation(session, slug: str) -> int:
        return int(session.scalar(select(func.max(AuditRow.seq)).where(AuditRow.plant == slug)) or 0)

    def get(self, key: tuple, csrf: str) -> Entry | None:
        with self._lock:
            e = self._items.get(key)
            if e is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
        return Entry(e.body.replace(self.sentinel, csrf.encode()), e.media_type, e.size, e.headers)

    def put(self, key: tuple, body: bytes, media_type: str, csrf: str,
            headers: list[tuple[bytes, bytes]] | None = None) -> None:
        stored = body.replace(csrf.encode(), self.sentinel) if csrf else body
        if len(stored) > self.max_bytes // 8:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= old.size
            kept = [(k, v) for k, v in headers or [] if k.lower() not in KEPT_HEADERS_EXCEPT]
            self._items[key] = Entry(stored, media_type, len(stored), kept)
            self._bytes += len(stored)
            while self._bytes > self.max_bytes and self._items:
                _, dropped = self._items.popitem(last=False)
                self._bytes -= dropped.size
