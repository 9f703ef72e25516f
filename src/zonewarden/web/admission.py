"""What a request must be before its body is read: logged in, of a role that holds the route's action, and
no larger than the route accepts.

FastAPI parses a form, spooling an upload to a temporary file, before a route's dependencies run, so the
checks of `require` alone would come after a stranger's gigabyte is on disk. This middleware runs first:
it finds the route, answers a request without a session (login redirect or 401) or of a role without the
action (403) before reading a byte of the body, refuses a declared Content-Length above the route's limit
(413, web/limits.py), and counts the bytes of a body sent without one (chunked), stopping at the limit.
`require` still checks everything again (and the CSRF token, which may sit in the body).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from fastapi import HTTPException, Request
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool

from .limits import body_limit
from .permissions import ACTIONS


@dataclass(frozen=True)
class RouteRule:
    methods: frozenset[str]
    pattern: re.Pattern[str]
    action: str | None
    limit: int


def action_of(route: APIRoute) -> str | None:
    """The action of the route's `require(...)` dependency (None for a public route)."""
    stack = list(route.dependant.dependencies)
    while stack:
        d = stack.pop()
        if hasattr(d.call, "action"):
            return d.call.action
        stack.extend(d.dependencies)
    return None


def api_routes(container) -> Iterator[APIRoute]:
    """Every APIRoute of the app, through included routers (FastAPI >= 0.160 wraps them)."""
    for r in getattr(container, "routes", []):
        if isinstance(r, APIRoute):
            yield r
        elif hasattr(r, "original_router"):
            yield from api_routes(r.original_router)
        elif hasattr(r, "routes"):
            yield from api_routes(r)


def rules_of(app) -> list[RouteRule]:
    return [RouteRule(frozenset(r.methods), r.path_regex, action_of(r), body_limit(r.path)) for r in api_routes(app)]


def _declared_length(scope) -> int | None:
    for k, v in scope.get("headers", []):
        if k == b"content-length":
            try:
                return int(v)
            except ValueError:
                return None
    return None


class AdmissionMiddleware:
    """Pure ASGI, so nothing reads the body before it decides (docstring of the module)."""

    def __init__(self, app) -> None:
        self.app = app
        self._rules: list[RouteRule] | None = None

    def rule(self, scope) -> RouteRule | None:
        if self._rules is None:
            self._rules = rules_of(scope["app"])
        path, method = scope["path"], scope["method"]
        return next((r for r in self._rules if method in r.methods and r.pattern.match(path)), None)

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        from .app import error_answer

        rule = self.rule(scope)
        limit = rule.limit if rule is not None else body_limit(None)
        request = Request(scope)  # its .state is the scope's: the route finds the viewer looked up here
        if rule is not None and rule.action is not None and not hasattr(request.state, "viewer"):  # a database read
            refusal = await run_in_threadpool(self.refusal, request, rule, limit)
        else:
            refusal = self.refusal(request, rule, limit)
        if refusal is not None:
            await error_answer(request, refusal)(scope, receive, send)
            return
        received = 0
        started = False

        async def counted():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise HTTPException(413, _too_large(limit))
            return message

        async def watched(message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except HTTPException as e:  # the body's overflow, raised where no exception handler answers it
            if started or e.status_code != 413:
                raise
            await error_answer(request, e)(scope, receive, send)

    @staticmethod
    def refusal(request: Request, rule: RouteRule | None, limit: int) -> HTTPException | None:
        """Why the request is answered without reading its body, or None to let it through."""
        if rule is not None and rule.action is not None:
            from .auth import viewer

            try:
                v = viewer(request)
            except HTTPException as e:
                return e
            if v.role not in ACTIONS[rule.action]:
                return HTTPException(403, f"a {v.role.replace('_', ' ')} may not do this ({rule.action})")
        declared = _declared_length(request.scope)
        if declared is not None and declared > limit:
            return HTTPException(413, _too_large(limit))
        return None


def _too_large(limit: int) -> str:
    return f"the request is larger than the {limit:,} bytes this page accepts"
