"""`zonewarden serve`, `zonewarden user` and `zonewarden audit`: the web app and its accounts and trail."""

from __future__ import annotations

import getpass
import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from .cli import ListFormat, app, emit, err, fail, out, to_json

DbOption = Annotated[str | None, typer.Option("--db", help="Database URL or SQLite file (default "
                                              "$ZONEWARDEN_DATABASE_URL, else zonewarden.db here).")]


def _open(db: str | None):
    from .store.database import DatabaseError, open_database

    try:
        return open_database(db)
    except DatabaseError as e:
        fail(str(e))


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8062,
    db: DbOption = None,
    data: Annotated[Path, typer.Option(help="Folder for version files and evidence (kept outside the web root).")]
    = Path("zonewarden-data"),
    csaf: Annotated[Path | None, typer.Option(help="CSAF advisories folder for the advisories page "
                                              "(default $ZONEWARDEN_CSAF).")] = None,
    secure_cookies: Annotated[bool, typer.Option(help="Mark session cookies Secure (set this behind a TLS proxy; "
                                                 "automatic when served over https).")] = False,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 1,
    forwarded_allow_ips: Annotated[str | None, typer.Option(
        help="The reverse proxies (comma-separated addresses or networks, '*' for any) whose X-Forwarded-For and "
             "X-Forwarded-Proto are believed; by default none: the address that connects is the client.")] = None,
    check_seconds: Annotated[float, typer.Option(
        help="Time limit for checking one uploaded plant, capture or workbook (in a child process).")] = 120.0,
    check_memory: Annotated[int, typer.Option(
        help="Address space in MiB that the child process checking one upload may use.")] = 4096,
) -> None:
    """The web app: every role's view of the same analyses, with logins, versions, approvals and an audit trail."""
    import uvicorn
    from sqlalchemy import func, select

    from .store.tables import User
    from .web.app import Settings, create_app
    from .web.isolation import Limits

    if not 0 < check_seconds <= 86400:
        fail(f"--check-seconds {check_seconds:g}: expected a number of seconds above 0 (at most a day)")
    if check_memory < 256:
        fail(f"--check-memory {check_memory}: expected at least 256 (MiB); a check needs about 800 for a "
             "plant of 20,000 assets")
    database = _open(db)

    with database.session() as s:
        users = s.scalar(select(func.count()).select_from(User))
    if not users:
        err.print("[yellow]no account yet:[/] add the first with `zonewarden user add NAME --role admin`",
                  highlight=False)
    folder = csaf or (Path(os.environ["ZONEWARDEN_CSAF"]) if os.environ.get("ZONEWARDEN_CSAF") else None)
    if folder is not None and not folder.is_dir():
        fail(f"--csaf {folder}: not a folder")
    try:
        data.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        fail(f"--data {data}: {e.strerror or e}")
    proxies = {"proxy_headers": forwarded_allow_ips is not None, "forwarded_allow_ips": forwarded_allow_ips}
    settings = Settings(data=data.resolve(), secure_cookies=secure_cookies, csaf=folder,
                        limits=Limits(check_seconds, check_memory))
    out.print(f"zonewarden on http://{host}:{port}/ · database {database.display} · data {settings.data}",
              highlight=False)
    if workers > 1:
        os.environ["ZONEWARDEN_DATABASE_URL"] = database.url
        os.environ["ZONEWARDEN_WEB_DATA"] = str(settings.data)
        os.environ["ZONEWARDEN_WEB_SECURE"] = "1" if secure_cookies else ""
        os.environ["ZONEWARDEN_CHECK_SECONDS"] = str(check_seconds)
        os.environ["ZONEWARDEN_CHECK_MEMORY"] = str(check_memory)
        if folder:
            os.environ["ZONEWARDEN_CSAF"] = str(folder)
        uvicorn.run("zonewarden.web.app:app_from_env", factory=True, host=host, port=port, workers=workers,
                    log_level="warning", **proxies)
    else:
        uvicorn.run(create_app(database, settings), host=host, port=port, log_level="warning", **proxies)


user_app = typer.Typer(help="Accounts of the web app.", no_args_is_help=True)
app.add_typer(user_app, name="user")


@user_app.command("add")
def user_add(
    name: Annotated[str, typer.Argument(help="Login name.")],
    role: Annotated[str, typer.Option(help="admin, asset_owner, integrator, supplier or auditor.")],
    supplier: Annotated[str | None, typer.Option(help="For a supplier: the plant role id it speaks for.")] = None,
    password_stdin: Annotated[bool, typer.Option(help="Read the password from standard input (for scripts).")]
    = False,
    db: DbOption = None,
) -> None:
    """Add an account (the first admin, or any other); the password is asked for twice, never on the command line."""
    from .store import audit
    from .store.users import UserError, add_user, check_new

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass(f"password for {name}: ")
        if getpass.getpass("again: ") != password:
            fail("the two passwords differ")
    try:
        check_new(name, role, password, supplier)
    except UserError as e:
        fail(str(e))
    database = _open(db)
    try:
        with database.session() as s:
            add_user(s, name, role, password, supplier)
            audit.append(s, f"cli:{getpass.getuser()}", "user.add", subject=name,
                         detail={"role": role, "supplier": supplier})
    except UserError as e:
        fail(str(e))
    out.print(f"added {name} ({role}{', ' + supplier if supplier else ''}) to {database.display}", highlight=False)


@user_app.command("list")
def user_list(db: DbOption = None,
              format: Annotated[ListFormat, typer.Option("--format", "-f", help="table or json.")] = ListFormat.table,
              ) -> None:
    """The accounts, their roles and whether they are disabled."""
    from sqlalchemy import select

    from .store.tables import User

    database = _open(db)
    with database.session() as s:
        rows = [{"name": u.name, "role": u.role, "supplier": u.supplier, "disabled": u.disabled}
                for u in s.scalars(select(User).order_by(User.name))]
    if format is ListFormat.json:
        emit(to_json(rows), None)
        return
    for r in rows:
        out.print(f"{r['name']}\t{r['role']}\t{r['supplier'] or ''}\t{'disabled' if r['disabled'] else ''}",
                  highlight=False)


audit_app = typer.Typer(help="The web app's hash-chained audit trail.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")


@audit_app.command("verify")
def audit_verify(
    db: DbOption = None,
    head: Annotated[str | None, typer.Option(help="A head hash written down earlier: fail unless it is still in "
                                             "the chain (catches rows cut off the end).")] = None,
    format: Annotated[ListFormat, typer.Option("--format", "-f", help="table or json.")] = ListFormat.table,
) -> None:
    """Walk the audit trail's hash chain; exit 1 and name the first altered or removed row if there is one."""
    from .store import audit

    database = _open(db)
    with database.session() as s:
        v = audit.verify(s, head)
    if format is ListFormat.json:
        emit(to_json({"ok": v.ok, "rows": v.rows, "head": v.head, "first_bad": v.first_bad, "reason": v.reason}),
             None)
    elif v.ok:
        out.print(f"audit trail of {database.display}: {v.rows} rows, chain intact; head {v.head}", highlight=False)
    else:
        err.print(f"[bold red]audit trail broken[/]: {v.reason}" + (f" (first bad row: {v.first_bad})"
                                                                      if v.first_bad else ""), highlight=False,
                  soft_wrap=True)
        err.print(f"{v.rows} rows verified before it; the last good head is {v.head}", highlight=False,
                  soft_wrap=True)
    if not v.ok:
        raise typer.Exit(1)
