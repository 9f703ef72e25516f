"""How large a request body may be, by route: checked before the body is read (web/admission.py).

A route that takes a file accepts that file's limit plus room for the form's other fields and the
multipart framing; every other request, a form or a GET, at most MAX_FORM. docs/web.md#limits.
"""

from __future__ import annotations

from ..store.evidence import MAX_EVIDENCE
from ..store.plants import MAX_UPLOAD

MAX_FORM = 1024 * 1024  # a form without a file: the longest field is a 2,000-character justification
MAX_CAPTURE = 512 * 1024 * 1024  # a capture for the traffic page; larger ones belong to `zonewarden traffic`
MAX_WORKBOOK = 20 * 1024 * 1024  # a supplier's response workbook
FORM_SLACK = 64 * 1024  # the other fields and the multipart framing around a file

FILE_LIMITS = {
    "/plants": MAX_UPLOAD,
    "/plants/{slug}/versions": MAX_UPLOAD,
    "/plants/{slug}/evidence": MAX_EVIDENCE,
    "/plants/{slug}/traffic": MAX_CAPTURE,
    "/plants/{slug}/procurement/{zone}/response": MAX_WORKBOOK,
}


def body_limit(route_path: str | None) -> int:
    """The most bytes a request to the route (its path template, e.g. /plants/{slug}/traffic) may send."""
    if route_path in FILE_LIMITS:
        return FILE_LIMITS[route_path] + FORM_SLACK
    return MAX_FORM
