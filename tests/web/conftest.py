"""The web app in-process (FastAPI's TestClient) on a real database, with one account per role and the
example plant uploaded as version 1."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "src" / "zonewarden" / "examples" / "fill-finish"
PASSWORD = "correct horse battery staple"
ACCOUNTS = {"admin": ("admin", None), "owner": ("asset_owner", None), "integ": ("integrator", None),
            "vitrea": ("supplier", "vitrea"), "audit": ("auditor", None)}
SLUG = "fill-finish-line-3"


def example_zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for p in sorted(EXAMPLE.rglob("*")):
            if p.is_file():
                z.write(p, f"fill-finish/{p.relative_to(EXAMPLE)}")
    return buf.getvalue()


def login(client, name: str, password: str = PASSWORD):
    """Log in through the form; returns the response of the POST (303 on success)."""
    page = client.get("/login")
    token = re.search(r'name="login_token" value="([^"]+)"', page.text).group(1)
    return client.post("/login", data={"name": name, "password": password, "login_token": token, "next": "/plants"},
                       follow_redirects=False)


def csrf_of(client) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get("/plants").text).group(1)


class Web:
    def __init__(self, app, db, tmp: Path) -> None:
        from fastapi.testclient import TestClient

        self.app, self.db, self.tmp = app, db, tmp
        self._client = TestClient
        self.clients: dict[str, object] = {}

    def client(self, name: str | None = None):
        """A client logged in as `name` (cached), or an anonymous one."""
        if name is None:
            return self._client(self.app)
        if name not in self.clients:
            c = self._client(self.app)
            assert login(c, name).status_code == 303
            c.csrf = csrf_of(c)
            self.clients[name] = c
        return self.clients[name]


def make_web(url: str, tmp: Path) -> Web:
    from zonewarden.store.database import open_database
    from zonewarden.store.plants import read_upload
    from zonewarden.store.users import add_user
    from zonewarden.web.app import Settings, create_app
    from zonewarden.web.auth import Viewer
    from zonewarden.web.versions import store_upload

    db = open_database(url)
    with db.session() as s:
        for name, (role, supplier) in ACCOUNTS.items():
            add_user(s, name, role, PASSWORD, supplier)
    app = create_app(db, Settings(data=tmp / "data"))

    class _Req:  # store_upload needs only the app's state
        pass

    req = _Req()
    req.app = app
    with db.session() as s:
        from sqlalchemy import select

        from zonewarden.store.tables import User

        owner = s.scalar(select(User).where(User.name == "owner"))
        viewer = Viewer(owner.id, owner.name, owner.role, None, "")
    store_upload(req, viewer, read_upload("fill-finish.zip", example_zip()), "the example plant")
    return Web(app, db, tmp)


@pytest.fixture
def web(db_url, tmp_path):
    w = make_web(db_url, tmp_path)
    yield w
    w.db.engine.dispose()


@pytest.fixture
def web_sqlite(tmp_path):
    w = make_web(f"sqlite:///{tmp_path / 'z.db'}", tmp_path)
    yield w
    w.db.engine.dispose()
