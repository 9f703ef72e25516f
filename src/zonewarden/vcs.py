"""Plant revisions from git: `git:REV[:PATH]` read into a temporary tree, and the commits between two revisions.

A plant may span files (`include:`), so a revision is exported whole (regular files only, names as git
stores them) rather than read file by file. This module runs `git`; the core never imports it.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from .analysis.change_record import Commit

PREFIX = "git:"


class RevisionError(Exception):
    """A revision that cannot be read: not a repository, an unknown revision, no such path in it."""


@dataclass(frozen=True)
class Spec:
    rev: str
    path: str | None  # relative to the repository root, POSIX separators


@dataclass
class Revision:
    """One side of a comparison: a plant path to load, and where it came from."""

    label: str  # as the user wrote it
    path: Path  # the plant file or folder to load
    commit: str | None = None  # full sha; None for the working tree
    repo: Path | None = None
    relpath: str | None = None  # the plant's path inside the repository
    _tmp: tempfile.TemporaryDirectory | None = field(default=None, repr=False)

    def close(self) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def as_dict(self) -> dict[str, str | None]:
        return {"spec": self.label, "commit": self.commit, "path": self.relpath or str(self.path)}


def parse(text: str) -> Spec | None:
    """`git:REV` or `git:REV:PATH` -> Spec; anything else is a plain path (None)."""
    if not text.startswith(PREFIX):
        return None
    rest = text[len(PREFIX):]
    rev, _, path = rest.partition(":")
    if not rev:
        raise RevisionError(f"{text!r}: expected git:REV or git:REV:PATH, e.g. git:main or git:HEAD~1:plant")
    return Spec(rev, path.strip("/") or None)


def _git(repo: Path, *args: str, input: bytes | None = None) -> bytes:
    try:
        done = subprocess.run(["git", "-C", str(repo), *args], input=input, capture_output=True, check=False)
    except FileNotFoundError:
        raise RevisionError("git is not installed, so git: revisions cannot be read") from None
    if done.returncode != 0:
        message = done.stderr.decode(errors="replace").strip().splitlines()
        raise RevisionError(message[-1] if message else f"git {' '.join(args)} failed")
    return done.stdout


def repo_root(start: Path) -> Path:
    """The top of the git work tree holding `start` (a file or folder)."""
    folder = start if start.is_dir() else start.parent
    try:
        return Path(_git(folder.absolute(), "rev-parse", "--show-toplevel").decode().strip())
    except RevisionError:
        raise RevisionError(f"{start} is not inside a git repository") from None


def in_repo(path: Path, root: Path) -> str:
    """`path` relative to the repository root, POSIX style."""
    try:
        return PurePosixPath(Path(os.path.realpath(path)).relative_to(os.path.realpath(root))).as_posix()
    except ValueError:
        raise RevisionError(f"{path} is not inside the repository at {root}") from None


def resolve(repo: Path, rev: str) -> str:
    try:
        return _git(repo, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}").decode().strip()
    except RevisionError:
        raise RevisionError(f"git:{rev}: no such revision in {repo}") from None


def export(repo: Path, spec: Spec, plant_path: str, label: str) -> Revision:
    """The tree of `spec.rev` written into a temporary folder; the Revision's path is the plant inside it."""
    sha = resolve(repo, spec.rev)
    listing = _git(repo, "ls-tree", "-r", "-z", "--full-tree", sha).split(b"\0")
    blobs = []
    for line in filter(None, listing):
        meta, _, name = line.partition(b"\t")
        mode, kind, obj = meta.split()
        if kind == b"blob" and mode in (b"100644", b"100755"):
            blobs.append((obj.decode(), name.decode("utf-8", errors="surrogateescape")))
    wanted = PurePosixPath(plant_path)
    if not any(PurePosixPath(n) == wanted or wanted in PurePosixPath(n).parents for _, n in blobs) \
            and plant_path not in ("", "."):
        raise RevisionError(f"{label}: {plant_path} does not exist at revision {spec.rev} ({sha[:12]})")
    tmp = tempfile.TemporaryDirectory(prefix="zonewarden-rev-")
    root = Path(tmp.name)
    try:
        data = _git(repo, "cat-file", "--batch", input="".join(f"{o}\n" for o, _ in blobs).encode())
        pos = 0
        for _obj, name in blobs:
            header_end = data.index(b"\n", pos)
            size = int(data[pos:header_end].split()[2])
            body = data[header_end + 1:header_end + 1 + size]
            pos = header_end + 1 + size + 1
            parts = PurePosixPath(name).parts
            if ".." in parts or PurePosixPath(name).is_absolute():  # git refuses such names; never trust them
                continue
            target = root.joinpath(*parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(body)
    except BaseException:
        tmp.cleanup()
        raise
    return Revision(label, root.joinpath(*wanted.parts), sha, repo, plant_path, tmp)


def working(path: Path, label: str | None = None) -> Revision:
    """A plant as it is on disk; its repository noted when it has one."""
    try:
        repo = repo_root(path)
        rel = in_repo(path, repo)
    except RevisionError:
        repo, rel = None, None
    return Revision(label or str(path), path, None, repo, rel)


def open_pair(old: str, new: str) -> tuple[Revision, Revision]:
    """Both sides of `zonewarden diff OLD NEW`; a `git:` side without PATH takes the other side's path."""
    specs = parse(old), parse(new)
    if specs[0] is None and not Path(old).exists():
        raise RevisionError(f"{old}: no such file or folder (a git revision is written git:REV[:PATH])")
    if specs[1] is None and not Path(new).exists():
        raise RevisionError(f"{new}: no such file or folder (a git revision is written git:REV[:PATH])")
    sides: list[Revision | None] = [None if s else working(Path(t)) for s, t in zip(specs, (old, new), strict=True)]
    anchor = next((s for s in sides if s is not None), None)
    for i, (spec, text) in enumerate(zip(specs, (old, new), strict=True)):
        if spec is None:
            continue
        if anchor is not None and anchor.repo is None:
            raise RevisionError(f"{text}: {anchor.label} is not inside a git repository to read revisions from")
        repo = anchor.repo if anchor is not None and anchor.repo else repo_root(Path.cwd())
        other = specs[1 - i]
        path = spec.path or (anchor.relpath if anchor is not None else other.path if other else None)
        if path is None:
            raise RevisionError(f"{text}: name the plant inside the repository, e.g. git:{spec.rev}:plant.yaml")
        sides[i] = export(repo, spec, path, text)
    return sides[0], sides[1]  # type: ignore[return-value]


def commits(repo: Path, since: str, until: str = "HEAD", path: str | None = None) -> list[Commit]:
    """The commits in since..until that touch `path` (all when None), oldest first: what the change record says
    changed, and why."""
    sep, end = "\x1f", "\x1e"
    raw = _git(repo, "log", "--reverse", f"--format=%H{sep}%an <%ae>{sep}%aI{sep}%s{sep}%b{end}",
               f"{since}..{until}", "--", path or ".").decode(errors="replace")
    out = []
    for record in filter(str.strip, raw.split(end)):
        sha, author, date, subject, body = record.strip("\n").split(sep)
        out.append(Commit(sha, author, date, subject, body.strip()))
    return out


def uncommitted(repo: Path, relpath: str) -> list[str]:
    """Files under the plant's path with changes not yet committed (the record then covers the working tree)."""
    raw = _git(repo, "status", "--porcelain", "-z", "--", relpath or ".").decode(errors="replace")
    return [entry[3:] for entry in raw.split("\0") if len(entry) > 3]
