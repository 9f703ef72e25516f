"""One computation per plant version, shared by every page, download and API answer (design §2).

A version's files are written once to DATA/plants/<hash>/ and read by the ordinary loader; the check,
the assessment and the attack paths (analysis.review) run once per version hash and stay in a small LRU
cache. Concurrent requests for a version not yet analysed wait for the one computing it instead of
repeating the work. Uploads are checked the same way before they become a version: a plant with errors
is refused with its first errors, named by file and line. An uploaded file is first checked in a child
process with a time and a memory limit (web/isolation.py), and analysed here only once that child has
finished with it: a crafted file costs the child, never the server.
"""

from __future__ import annotations

import atexit
import datetime as dt
import gc
import os
import shutil
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..analysis.checks import check_raw
from ..analysis.findings import Finding
from ..analysis.review import Review, review
from ..model.diagnostics import PlantInvalid, PlantReadError
from ..model.load import read_raw
from ..model.plant import Plant
from ..model.tracking import Tracking, default_path, load_tracking
from ..store.plants import materialize
from .isolation import Isolation


class PlantRejected(ValueError):
    """The files do not load or fail the checks: `errors` names each (file:line: rule: message)."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors[:3]))
        self.errors = errors


@dataclass
class Analysed:
    hash: str
    folder: Path
    plant: Plant
    review: Review
    warnings: list[Finding]
    tracking: Tracking | None = None
    extras: dict[str, Any] = field(default_factory=dict)  # lazily computed views (vulnerabilities, JSON)
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)  # extras may need extras

    def file_of(self, path: tuple, key: bool = False) -> str:
        """The version's file (relative to its folder) that defines the node at `path`, e.g. ("assets", "plc-1")."""
        loc = self.plant._sources.locate(path, key=key)
        if loc is None:
            raise KeyError(".".join(str(p) for p in path))
        return str(Path(loc.file).resolve().relative_to(self.folder.resolve()))

    def impact_from(self, old: Analysed) -> Any:
        """The change impact from `old` to this version (`zonewarden diff`), computed once per pair."""
        from ..analysis.impact import impact

        return self.extra(f"impact-from:{old.hash}", lambda: impact(old.plant, self.plant, old_tracking=old.tracking,
                                                                    new_tracking=self.tracking))

    def sbom_path(self, asset: str) -> Path:
        """The asset's SBOM file, which must be one of the version's own files (ValueError otherwise)."""
        x = self.plant.assets[asset]
        path = (self.folder / self.file_of(("assets", asset), key=True)).parent.joinpath(x.sbom or "").resolve()
        if self.folder.resolve() not in path.parents or not path.is_file():
            raise ValueError(f"assets.{asset}.sbom: {x.sbom!r} is not one of the plant's own files")
        return path

    def sboms(self) -> tuple[dict[str, Any], list[str]]:
        """The SBOM components of every asset that names one, and a message per SBOM that cannot be used;
        read once per version (the advisories page and the CycloneDX download both need them)."""

        def read() -> tuple[dict[str, Any], list[str]]:
            from ..advisories.sbom import SBOMError, read_cyclonedx

            comps, errors = {}, []
            for aid, x in self.plant.assets.items():
                if x.sbom:
                    try:
                        comps[aid] = read_cyclonedx(self.sbom_path(aid))
                    except ValueError as e:
                        errors.append(str(e))
                    except SBOMError as e:
                        errors.append(f"assets.{aid}.sbom: {e}")
            return comps, errors

        return self.extra("sboms", read)

    def extra(self, key: str, compute: Callable[[], Any]) -> Any:
        """A further analysis of this version, computed once (advisories, crosswalk JSON, ...)."""
        with self.lock:
            if key not in self.extras:
                self.extras[key] = compute()
            return self.extras[key]


def _relative(folder: Path, text: str) -> str:
    return text.replace(str(folder) + os.sep, "").replace(os.path.relpath(folder) + os.sep, "")


def load_checked(folder: Path, entry: str) -> tuple[Plant, list[Finding]]:
    """The plant in `folder`, or PlantRejected with its errors (paths shown relative to the plant folder)."""
    try:
        raw = read_raw(folder / entry, within=folder)
    except PlantReadError as e:
        raise PlantRejected([_relative(folder, str(e))]) from None
    result = check_raw(raw)
    errors = [f for f in result.findings if f.severity == "error"]
    if errors or result.plant is None:
        raise PlantRejected([_relative(folder, f"{f.location}: {f.rule}: {f.message}" if f.location else f.message)
                             for f in errors] or ["the plant does not load"])
    return result.plant, [f for f in result.findings if f.severity != "error"]


def analyse(folder: Path, entry: str, version_hash: str) -> Analysed:
    plant, warnings = load_checked(folder, entry)
    tracking, tfile = None, None
    tpath = default_path(folder / entry)
    if tpath.exists():
        try:
            tracking, _ = load_tracking(tpath)
            tfile = "tracking.yaml"
        except PlantInvalid as e:
            text = "; ".join(f"{p.location}: {p.message}" for p in e.problems[:5])
            warnings.append(Finding("tracking", "tracking-file", "warning", _relative(folder, text)))
        except PlantReadError as e:
            warnings.append(Finding("tracking", "tracking-file", "warning", _relative(folder, str(e))))
    r = review(plant, tracking, tracking_file=tfile, as_of=today())
    r.assessment.located_findings()  # once, here, rather than by whichever request first shows the findings
    return Analysed(version_hash, folder, plant, r, warnings, tracking)


def today() -> dt.date:
    """The day analyses are made as of (a function, so tests can move it)."""
    return dt.date.today()


atexit.register(gc.unfreeze)  # let the shutdown collect frozen objects: extension modules (DuckDB) check for leaks


class AnalysisCache:
    """Analysed versions by hash, the `size` most recently used kept."""

    def __init__(self, root: Path, size: int = 8, isolation: Isolation | None = None) -> None:
        self.root = root
        self.size = size
        self.isolation = isolation
        self._items: OrderedDict[str, Analysed] = OrderedDict()
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def get(self, version_hash: str, entry: str, files: Callable[[], dict[str, bytes]]) -> Analysed:
        """The analysis of a stored version (computed on first use)."""
        return self._get(version_hash, entry, files, check_only=False, untrusted=False)

    def prime(self, version_hash: str, entry: str, files: dict[str, bytes], untrusted: bool = False) -> Analysed:
        """Check and analyse files about to become a version, so its first page is served from the cache;
        PlantRejected (and nothing left on disk) when they do not load or fail the checks. `untrusted` files
        (an upload) are checked in the isolated child first: LimitExceeded when it runs out of time or memory."""
        return self._get(version_hash, entry, lambda: files, check_only=True, untrusted=untrusted)

    def _get(self, version_hash: str, entry: str, files: Callable[[], dict[str, bytes]], check_only: bool,
             untrusted: bool) -> Analysed:
        # The analysis depends on the day too (a compensation past its review date stops counting): a server
        # that runs past midnight analyses each version again, once, on its first request of the new day.
        key = f"{version_hash}@{today().isoformat()}"
        with self._guard:
            hit = self._items.get(key)
            if hit is not None:
                self._items.move_to_end(key)
                return hit
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:  # one thread computes; the others wait here and then find it cached
            with self._guard:
                hit = self._items.get(key)
            if hit is not None:
                return hit
            folder = self.root / version_hash
            fresh = not folder.is_dir()
            if fresh:
                folder = materialize(self.root, version_hash, files())
            try:
                if untrusted and self.isolation is not None:
                    from . import untrusted as jobs

                    errors = self.isolation.run(jobs.check_plant, str(folder), entry, version_hash, what="the plant")
                    if errors:
                        raise PlantRejected(errors)
                done = analyse(folder, entry, version_hash)
            except Exception:
                if fresh and check_only:
                    shutil.rmtree(folder, ignore_errors=True)
                raise
            with self._guard:
                self._items[key] = done
                evicted = False
                while len(self._items) > self.size:
                    self._items.popitem(last=False)
                    evicted = True
                self._locks.pop(key, None)
            # A big plant's analysis is millions of long-lived objects: keep the collector from walking them on
            # every full collection (seconds of pause for every request); evicted ones are collected first.
            if evicted:
                gc.unfreeze()
                gc.collect()
            gc.freeze()
            return done
