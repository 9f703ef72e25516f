"""Accounts (admin only) and the audit trail (admin, asset owner, auditor)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse
from sqlalchemy import func, select

from ..store import audit
from ..store.tables import ROLES, AuditRow, User
from ..store.users import UserError, add_user
from .app import page, record
from .auth import Viewer, require

router = APIRouter()


@router.get("/admin/users", include_in_schema=False)
def users_page(request: Request, v: Viewer = Depends(require("users.manage"))):
    with request.app.state.db.session() as s:
        users = [{"name": u.name, "role": u.role, "supplier": u.supplier, "disabled": u.disabled,
                  "created": u.created.isoformat(timespec="seconds")}
                 for u in s.scalars(select(User).order_by(User.name))]
    return page(request, "users.html.j2", users=users, roles=ROLES)


@router.post("/admin/users", include_in_schema=False)
def create_user(request: Request, name: str = Form(...), role: str = Form(...), password: str = Form(...),
                supplier: str = Form(""), v: Viewer = Depends(require("users.manage"))):
    with request.app.state.db.session() as s:
        try:
            add_user(s, name, role, password, supplier.strip() or None)
        except UserError as e:
            raise HTTPException(422, str(e)) from None
        record(request, v, "user.add", subject=name, detail={"role": role, "supplier": supplier or None}, session=s)
    return RedirectResponse("/admin/users", status_code=303)


@router.post("/admin/users/{name}/disable", include_in_schema=False)
def disable_user(request: Request, name: str, v: Viewer = Depends(require("users.manage"))):
    if name == v.name:
        raise HTTPException(422, "an admin cannot disable their own account")
    with request.app.state.db.session() as s:
        u = s.scalar(select(User).where(User.name == name))
        if u is None:
            raise HTTPException(404, f"no user {name!r}")
        u.disabled = True
        request.app.state.sessions.clear()  # this worker forgets every session it trusted; others within RECHECK
        record(request, v, "user.disable", subject=name, session=s)
    return RedirectResponse("/admin/users", status_code=303)


@router.get("/audit", include_in_schema=False)
def audit_page(request: Request, plant: str | None = None, before: int | None = None,
               v: Viewer = Depends(require("audit.read"))):
    with request.app.state.db.session() as s:
        q = select(AuditRow).order_by(AuditRow.seq.desc()).limit(100)
        if plant:
            q = q.where(AuditRow.plant == plant)
        if before and 0 < before <= 2**62:
            q = q.where(AuditRow.seq < before)
        rows = s.scalars(q).all()
        total = s.scalar(select(func.count()).select_from(AuditRow))
        verdict = audit.verify(s)
    return page(request, "audit.html.j2", rows=rows, total=total, verdict=verdict, plant=plant)
