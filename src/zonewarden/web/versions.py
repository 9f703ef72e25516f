"""Writing a new plant version from the web: an upload, or a form's edit of the newest version's files.

Either way the new files are checked with the ordinary loader before anything is stored (a plant with
errors is refused, its errors named by file and line; an uploaded file first in a child process with a
time and a memory limit, web/isolation.py; a form's edit, which writes the form's values as quoted
scalars into a version already accepted, in the server), the version and its audit row commit in one
transaction, and a form that was loaded on an older version is refused (409) rather than overwrite a
colleague's change.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import HTTPException, Request

from ..store import audit
from ..store.plants import Upload, add_version, create_plant, files_of, slugify, version_hash
from ..store.tables import User, Version
from .analyses import Analysed, PlantRejected
from .app import analysed, plant_or_404, version_or_404
from .auth import Viewer
from .guards import owner_only_changes


def check_files(request: Request, upload: Upload, v: Viewer | None = None, previous=None,
                untrusted: bool = False) -> str:
    """Check and analyse the files (kept in the analysis cache for the version's first page); the plant's
    name, or PlantRejected (LimitExceeded for `untrusted` files the isolated check could not finish). With
    `previous` (the analysis of the newest version), a role other than the asset owner may not make the asset
    owner's changes (web/guards.py): 403."""
    return checked(request, upload, v, previous, untrusted).plant.plant.name


def checked(request: Request, upload: Upload, v: Viewer | None = None, previous=None,
            untrusted: bool = False) -> Analysed:
    """`check_files`, answering the analysis of the files."""
    a = request.app.state.analyses.prime(version_hash(upload.files), upload.entry, upload.files, untrusted)
    if previous is not None and v is not None and v.role != "asset_owner":
        theirs = owner_only_changes(previous.plant, a.plant)
        if theirs:
            raise HTTPException(403, f"only an asset owner may change {', '.join(theirs[:5])}"
                                + (f" and {len(theirs) - 5} more" if len(theirs) > 5 else ""))
    broken = [w.message for w in a.warnings if w.rule == "tracking-file"]
    if broken:  # the CLI stops at a tracking file it cannot read; a version must not lose the decisions silently
        raise PlantRejected(broken)
    return a


def store_upload(request: Request, v: Viewer, upload: Upload, message: str, slug: str | None = None) -> Version:
    """A new plant (slug None: from the plant's name) or a new version of `slug`, from an uploaded file (checked
    in the isolated child first, web/isolation.py)."""
    previous = None
    if slug is not None:
        previous = analysed(request, slug)[2]
    name = check_files(request, upload, v, previous, untrusted=True)
    with request.app.state.db.session() as s:
        author = s.get(User, v.id)
        if slug is None:
            plant = create_plant(s, slugify(name), name)
            action = "plant.create"
        else:
            plant = plant_or_404(s, slug)
            action = "version.upload"
        version = add_version(s, plant, upload, author, message)
        audit.append(s, v.name, action, plant=plant.slug, subject=f"v{version.number}",
                     detail={"hash": version.hash, "message": version.message, "files": len(upload.files),
                             "skipped": upload.skipped})
        return version


def edit_version(request: Request, v: Viewer, slug: str, base: int | None,
                 edit: Callable[[dict[str, bytes], str], dict[str, bytes]], message: str, action: str,
                 subject: str, detail: dict | None = None,
                 verify: Callable[[Analysed], None] | None = None) -> Version:
    """Apply `edit(files, entry) -> files` to the newest version and store the result as the next version;
    `verify` sees the analysis of the new files first and may refuse them (an HTTPException), e.g. when the
    checks warn about the very entry the form wrote."""
    db = request.app.state.db
    with db.session() as s:
        plant = plant_or_404(s, slug)
        newest = version_or_404(s, plant)
        if base is not None and base != newest.number:
            raise HTTPException(409, f"version {newest.number} was saved since you opened version {base}; reload "
                                "the page and make the change again")
        files = files_of(s, newest)
        entry = newest.entry
    try:
        changed = edit(dict(files), entry)
    except KeyError as e:
        raise HTTPException(404, f"not in the plant: {e.args[0]}") from None
    except ValueError as e:
        raise HTTPException(422, str(e)) from None
    if version_hash(changed) == version_hash(files):
        raise HTTPException(422, "nothing changed: the plant already says this")
    upload = Upload(changed, entry)
    try:
        candidate = checked(request, upload, v, analysed(request, slug, newest.number)[2])
    except PlantRejected as e:
        raise HTTPException(422, "the change would make the plant invalid: " + "; ".join(e.errors[:5])) from None
    if verify is not None:
        verify(candidate)
    with db.session() as s:
        plant = plant_or_404(s, slug)
        if version_or_404(s, plant).number != newest.number:
            raise HTTPException(409, "another version was saved a moment ago; reload and make the change again")
        version = add_version(s, plant, upload, s.get(User, v.id), message)
        audit.append(s, v.name, action, plant=slug, subject=subject,
                     detail={"version": version.number, "hash": version.hash, **(detail or {})})
        return version
