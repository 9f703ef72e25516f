"""The web API against its own OpenAPI document, with schemathesis: generated requests (valid and not) to every
operation, logged in with a real session on SQLite, each answer checked for a server error and against the
status codes, content types, headers and schemas the document declares. Bounded: a few hundred requests.
The crafted uploads of corpus/web are replayed through the app: each ends in a located 4xx, in bounded time."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable

from tests.web.conftest import SLUG, login, make_web

from .mutate import CAMPAIGN, budget

CORPUS = Path(__file__).resolve().parent / "corpus" / "web"


@pytest.fixture(scope="module")
def web(tmp_path_factory):
    w = make_web(f"sqlite:///{tmp_path_factory.mktemp('fuzz-web') / 'z.db'}", tmp_path_factory.mktemp("data"))
    yield w
    w.db.engine.dispose()


@pytest.fixture(scope="module")
def session_cookie(web) -> dict[str, str]:
    from fastapi.testclient import TestClient

    c = TestClient(web.app)
    assert login(c, "owner").status_code == 303
    return {"zw_session": c.cookies["zw_session"]}


def operations(web) -> list:
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", web.app)
    return [r.ok() for r in schema.get_all_operations()]


BOUND = settings(max_examples=budget(20), deadline=None, derandomize=not CAMPAIGN, database=None,
                 suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate, Phase.shrink])
TRIED: dict[str, int] = {}


def checker(label: str, strategy, cookies: dict[str, str]):
    @given(strategy)
    @BOUND
    def check(case) -> None:
        TRIED[label] = TRIED.get(label, 0) + 1
        case.call_and_validate(cookies=cookies)

    return check


@pytest.mark.parametrize("pinned", [False, True], ids=["generated-ids", "example-plant"])
@pytest.mark.parametrize("mode", ["positive", "negative"])
def test_api_answers_as_its_openapi_document_says(web, session_cookie, mode, pinned):
    """`pinned` gives path parameters the example plant's id, so generated queries reach the analyses instead
    of stopping at 'no plant'; negative cases break the document's rules on purpose (wrong types, out of
    range) and must be refused with a documented 4xx, never a 500. An operation whose parameters admit
    any string has no negative case."""
    from schemathesis.generation.modes import GenerationMode

    failures: list[str] = []
    ops = operations(web)
    assert len(ops) >= 8
    for op in ops:
        params = {"slug": SLUG} if pinned and "{slug}" in op.path else None
        label = f"{op.method.upper()} {op.path} {mode}"
        try:
            checker(label, op.as_strategy(GenerationMode(mode), path_parameters=params), session_cookie)()
        except Unsatisfiable:
            assert mode == "negative", label
        except Exception as e:  # every operation's failure is collected, then reported together
            failures.append(f"{label}: {e}"[:3000])
    assert not failures, "\n\n".join(failures)
    assert sum(TRIED.values()) >= 40
    if os.environ.get("ZONEWARDEN_FUZZ_REPORT"):
        print(f"\n{mode} {'pinned' if pinned else 'generated'}: {sum(TRIED.values())} cases so far", TRIED)


@pytest.mark.parametrize("path", sorted(CORPUS.glob("*.yaml")), ids=lambda p: p.name)
def test_crafted_uploads_end_in_a_located_refusal(web, path):
    from fastapi.testclient import TestClient

    c = TestClient(web.app)
    assert login(c, "integ").status_code == 303
    csrf = c.get("/plants").text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    started = time.monotonic()
    r = c.post("/plants", data={"message": "fuzz", "csrf_token": csrf},
               files={"file": ("plant.yaml", path.read_bytes(), "application/x-yaml")}, follow_redirects=False)
    assert r.status_code in (413, 422) and time.monotonic() - started < 130
    assert "plant.yaml:" in r.text or "limit" in r.text
