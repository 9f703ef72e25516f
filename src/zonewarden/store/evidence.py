"""Evidence files: kept on disk under their sha256, outside anything the web server serves.

The uploaded name is metadata only and never part of a path. The content decides the type: the bytes
must be one of the accepted kinds (PDF, PNG, JPEG, text, CSV, XLSX, DOCX) and agree with the type the
browser declared, or the file is refused. Downloads are sent with that type, `nosniff` and as an
attachment. docs/web.md#evidence.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
import zipfile
from pathlib import Path

MAX_EVIDENCE = 20 * 1024 * 1024
OFFICE = {"xl/": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
          "word/": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}
TEXT = {"text/plain", "text/csv", "text/markdown"}
ACCEPTED = {"application/pdf", "image/png", "image/jpeg", *TEXT, *OFFICE.values()}
ALIASES = {"application/csv": "text/csv", "text/x-markdown": "text/markdown", "image/jpg": "image/jpeg"}


class EvidenceError(ValueError):
    pass


def sniff(data: bytes) -> str | None:
    """The accepted type these bytes are, or None."""
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"PK\x03\x04"):
        try:
            names = zipfile.ZipFile(io.BytesIO(data)).namelist()
        except zipfile.BadZipFile:
            return None
        if "[Content_Types].xml" in names:
            return next((t for prefix, t in OFFICE.items() if any(n.startswith(prefix) for n in names)), None)
        return None
    if b"\x00" in data:
        return None
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return "text/plain"


def check(name: str, declared: str | None, data: bytes) -> str:
    """The content type to store, or EvidenceError naming the file and what is accepted."""
    if not data:
        raise EvidenceError(f"{name}: the file is empty")
    if len(data) > MAX_EVIDENCE:
        raise EvidenceError(f"{name}: {len(data):,} bytes; evidence files are limited to {MAX_EVIDENCE:,}")
    found = sniff(data)
    if found is None:
        raise EvidenceError(f"{name}: not an accepted kind of file (PDF, PNG, JPEG, text, CSV, Markdown, XLSX, DOCX)")
    want = (declared or "application/octet-stream").split(";")[0].strip().lower()
    want = ALIASES.get(want, want)
    if found == "text/plain" and want in TEXT:
        return want
    if want in ("application/octet-stream", "") or want == found:
        return found
    raise EvidenceError(f"{name}: declared {want}, but the content is {found}")


class EvidenceStore:
    """Files under ROOT/ab/abcdef...; writing is atomic and the same content is stored once."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, sha256: str) -> Path:
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise EvidenceError(f"not a sha256: {sha256[:70]!r}")
        return self.root / sha256[:2] / sha256

    def put(self, data: bytes) -> str:
        digest = hashlib.sha256(data).hexdigest()
        dest = self.path(digest)
        if dest.exists():
            return digest
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, dest)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return digest

    def get(self, sha256: str) -> bytes:
        data = self.path(sha256).read_bytes()
        if hashlib.sha256(data).hexdigest() != sha256:
            raise EvidenceError(f"evidence {sha256[:12]}…: the stored file no longer matches its hash")
        return data
