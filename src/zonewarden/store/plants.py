"""Plants and their versions: uploads unpacked under limits, files stored once by content hash.

An upload is one YAML file or a zip of a plant folder. Zip entries are checked before anything is
written: how many, how large (each and in total, as declared and as read), no absolute paths, no `..`,
no links. Files that are not part of a plant (captures, pictures) are listed back, not stored silently.
A version's hash is sha256 over its sorted (path, file sha256) pairs: the same files give the same hash
whoever uploads them. `materialize` writes a version's files to a folder named by that hash, once, so
the ordinary loader reads them. docs/web.md#plants-and-versions.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import shutil
import stat
import tempfile
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .tables import Blob, PlantRow, User, Version, VersionFile

MAX_UPLOAD = 50 * 1024 * 1024  # bytes of the file as sent
MAX_FILES = 2000  # entries of a zip
MAX_FILE = 64 * 1024 * 1024  # one unpacked file
MAX_TOTAL = 256 * 1024 * 1024  # all unpacked files
MAX_RATIO = 200  # unpacked / packed, per entry: more than this is a zip bomb, not YAML
PLANT_SUFFIXES = (".yaml", ".yml", ".json")
ENTRY_NAMES = ("plant.yaml", "plant.yml")
SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")


class UploadError(ValueError):
    """The upload cannot become a version; the message names the entry and the limit or rule broken."""


@dataclass
class Upload:
    files: dict[str, bytes]
    entry: str
    skipped: list[str] = field(default_factory=list)


def _safe_path(name: str) -> str:
    p = PurePosixPath(name.replace("\\", "/"))
    if p.is_absolute() or name.startswith("/") or re.match(r"^[A-Za-z]:", name):
        raise UploadError(f"zip entry {name!r}: absolute paths are not accepted")
    if any(part == ".." for part in p.parts):
        raise UploadError(f"zip entry {name!r}: '..' in a path is not accepted")
    if any(part.startswith(".") and part not in (".",) for part in p.parts):
        return ""  # hidden files and folders (.git, .DS_Store): not part of a plant
    clean = "/".join(part for part in p.parts if part not in ("", "."))
    if len(clean) > 255:
        raise UploadError(f"zip entry {name[:60]!r}…: path longer than 255 characters")
    return clean


def read_zip(data: bytes) -> Upload:
    """The plant files of a zipped folder; one top folder (as zipping a folder makes) is taken off."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise UploadError("the upload is neither YAML nor a readable zip file") from None
    infos = zf.infolist()
    if len(infos) > MAX_FILES:
        raise UploadError(f"the zip holds {len(infos)} entries; at most {MAX_FILES} are accepted")
    declared = 0
    for info in infos:
        mode = info.external_attr >> 16
        if stat.S_ISLNK(mode):
            raise UploadError(f"zip entry {info.filename!r}: symbolic links are not accepted")
        if info.flag_bits & 0x1:
            raise UploadError(f"zip entry {info.filename!r}: encrypted entries are not accepted")
        if info.file_size > MAX_FILE:
            raise UploadError(f"zip entry {info.filename!r}: {info.file_size:,} bytes unpacked; at most "
                              f"{MAX_FILE:,} per file")
        if info.compress_size and info.file_size / info.compress_size > MAX_RATIO:
            raise UploadError(f"zip entry {info.filename!r}: packed {info.file_size // info.compress_size}:1, "
                              f"more than {MAX_RATIO}:1 (a zip bomb, not a plant)")
        declared += info.file_size
    if declared > MAX_TOTAL:
        raise UploadError(f"the zip unpacks to {declared:,} bytes; at most {MAX_TOTAL:,} are accepted")
    files: dict[str, bytes] = {}
    skipped: list[str] = []
    total = 0
    for info in infos:
        if info.is_dir():
            continue
        path = _safe_path(info.filename)
        if not path:
            continue
        if not path.lower().endswith(PLANT_SUFFIXES):
            skipped.append(path)
            continue
        try:
            with zf.open(info) as fh:
                body = fh.read(MAX_FILE + 1)  # read no more than the limit, whatever the header claimed
        except (zipfile.BadZipFile, zlib.error, NotImplementedError, RuntimeError, EOFError, OSError) as e:
            raise UploadError(f"zip entry {info.filename!r}: cannot be unpacked ({e})") from None
        if len(body) > MAX_FILE:
            raise UploadError(f"zip entry {info.filename!r}: more than {MAX_FILE:,} bytes unpacked")
        total += len(body)
        if total > MAX_TOTAL:
            raise UploadError(f"the zip unpacks to more than {MAX_TOTAL:,} bytes")
        files[path] = body
    folders = {"/".join(p.split("/")[:i]) for p in files for i in range(1, p.count("/") + 1)}
    clash = sorted(folders & set(files))
    if clash:
        raise UploadError(f"zip entry {clash[0]!r} is both a file and a folder")
    tops = {p.split("/", 1)[0] for p in files}
    if len(tops) == 1 and all("/" in p for p in files):
        top = tops.pop() + "/"
        files = {p[len(top):]: b for p, b in files.items()}
        skipped = [s[len(top):] if s.startswith(top) else s for s in skipped]
    entry = next((n for n in ENTRY_NAMES if n in files), None)
    if entry is None:
        roots = sorted(p for p in files if "/" not in p)
        raise UploadError("the zip has no plant.yaml at its top (or in its one top folder); top-level files: "
                          + (", ".join(roots[:10]) or "none"))
    return Upload(files, entry, sorted(skipped))


def read_upload(filename: str, data: bytes) -> Upload:
    """One YAML file, or a zip of a plant folder, as sent by a browser or `curl -F`."""
    if len(data) > MAX_UPLOAD:
        raise UploadError(f"{filename}: {len(data):,} bytes; uploads are limited to {MAX_UPLOAD:,}")
    if not data:
        raise UploadError(f"{filename}: the file is empty")
    if data[:4] == b"PK\x03\x04" or filename.lower().endswith(".zip"):
        return read_zip(data)
    name = PurePosixPath(filename.replace("\\", "/")).name or "plant.yaml"
    if not name.lower().endswith((".yaml", ".yml")):
        raise UploadError(f"{filename}: expected a plant YAML file (.yaml) or a zip of a plant folder")
    if b"\x00" in data[:8192]:
        raise UploadError(f"{filename}: binary content, not YAML")
    return Upload({name: data}, name)


def version_hash(files: dict[str, bytes]) -> str:
    h = hashlib.sha256()
    for path in sorted(files):
        h.update(f"{path}\0{hashlib.sha256(files[path]).hexdigest()}\n".encode())
    return h.hexdigest()


def slugify(name: str) -> str:
    s = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:63].strip("-")
    return s or "plant"


def create_plant(session: Session, slug: str, name: str) -> PlantRow:
    if not SLUG.fullmatch(slug):
        raise UploadError(f"plant id {slug!r}: expected lower-case letters, digits and '-', at most 63")
    if session.scalar(select(PlantRow.id).where(PlantRow.slug == slug)) is not None:
        raise UploadError(f"a plant with id {slug!r} exists already; upload a new version of it instead")
    plant = PlantRow(slug=slug, name=name[:200])
    session.add(plant)
    session.flush()
    return plant


def add_version(session: Session, plant: PlantRow, upload: Upload, author: User, message: str) -> Version:
    """Store the files (new blobs only) and a version numbered one past the newest."""
    bodies = {hashlib.sha256(body).hexdigest(): body for body in upload.files.values()}  # same content: one blob
    have = set(session.scalars(select(Blob.sha256).where(Blob.sha256.in_(bodies))))
    session.add_all(Blob(sha256=d, data=b) for d, b in bodies.items() if d not in have)
    number = (session.scalar(select(func.max(Version.number)).where(Version.plant_id == plant.id)) or 0) + 1
    v = Version(plant_id=plant.id, number=number, hash=version_hash(upload.files), entry=upload.entry,
                author_id=author.id, message=message.strip() or "(no message)")
    session.add(v)
    session.flush()
    for path, body in upload.files.items():
        session.add(VersionFile(version_id=v.id, path=path, sha256=hashlib.sha256(body).hexdigest(), size=len(body)))
    session.flush()
    session.refresh(v)
    return v


def files_of(session: Session, version: Version) -> dict[str, bytes]:
    digests = {f.path: f.sha256 for f in version.files}
    blobs = dict(session.execute(select(Blob.sha256, Blob.data).where(Blob.sha256.in_(set(digests.values())))).all())
    return {path: bytes(blobs[d]) for path, d in digests.items()}


def latest(session: Session, plant: PlantRow) -> Version | None:
    return session.scalar(select(Version).where(Version.plant_id == plant.id).order_by(Version.number.desc()).limit(1))


def materialize(root: Path, version_hash_: str, files: dict[str, bytes]) -> Path:
    """The folder holding these files, written once (to a temporary folder, then renamed into place)."""
    target = root / version_hash_
    if target.is_dir():
        return target
    root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=root))
    try:
        for path, body in files.items():
            dest = tmp / path
            if tmp.resolve() not in dest.resolve().parents:
                raise UploadError(f"{path}: leaves the plant folder")
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(body)
        try:
            os.rename(tmp, target)
        except OSError:  # another worker wrote the same version first
            if not target.is_dir():
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return target
