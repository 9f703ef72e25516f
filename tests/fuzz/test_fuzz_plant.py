"""Fuzz target: the plant loader, checks and assessment on mutations of the example plant's files.

Whatever the bytes, the outcome is a plant, a located PlantReadError or PlantInvalid, never another exception.
Inputs that once broke it are kept in corpus/plant/ and replayed. A longer campaign:
`ZONEWARDEN_FUZZ_EXAMPLES=20000 .venv/bin/python -m pytest tests/fuzz/test_fuzz_plant.py`.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zonewarden import assess, check_plant, load_plant
from zonewarden.model.diagnostics import PlantInvalid, PlantReadError

from ..conftest import EXAMPLE
from .mutate import CAMPAIGN, budget, mutated

CORPUS = Path(__file__).parent / "corpus" / "plant"
FILES = sorted(p.relative_to(EXAMPLE) for p in EXAMPLE.rglob("*.yaml") if p.name != "tracking.yaml")
SEEDS = [(EXAMPLE / f).read_bytes() for f in FILES]
TOKENS = [b": ", b"- ", b"[", b"]", b"{", b"}", b", ", b"&a ", b"*a", b"<<: *a\n", b"!!timestamp ", b"!!bool ",
          b"!!int ", b"!!binary ", b"!!python/object:os.system ", b"? ", b"\n  ", b"\t", b"'", b'"', b"#",
          b"---\n", b"...\n", b"%YAML 1.1\n", b"\x00", b"\xff\xfe", b"include: [/dev/zero]\n", b"include: [..]\n",
          b"sl_target: auto", b"level: 1e999", b"networks: [0.0.0.0/0]", b"addresses: [::]", b"9" * 40,
          b"zones: {}", b"assets: []", b"2024-02-30", b"-1", b"null", b"~", b"1e400"]


def outcome(folder: Path) -> str:
    """Load, check and assess; the only acceptable failures are the loader's own, and they must be located."""
    try:
        plant = load_plant(folder)
    except PlantReadError as e:
        assert e.message, "an empty error message"
        return "unreadable"
    except PlantInvalid as e:
        assert e.problems and all(p.message for p in e.problems)
        return "invalid"
    list(check_plant(plant))
    assess(plant)
    return "loaded"


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("fuzz-plant") / "plant"
    shutil.copytree(EXAMPLE, folder, ignore=shutil.ignore_patterns("*.pcap", "tracking.yaml"))
    return folder


MUTATED_FILE = st.integers(0, len(FILES) - 1).flatmap(lambda i: mutated([SEEDS[i]], TOKENS).map(lambda b: (i, b)))


@settings(max_examples=budget(60), deadline=None, derandomize=not CAMPAIGN, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture])
@given(case=MUTATED_FILE)
def test_mutated_plant_files_load_or_fail_cleanly(workdir, case):
    """One file of the example plant mutated at a time, the others intact."""
    i, data = case
    target = workdir / FILES[i]
    target.write_bytes(data)
    try:
        outcome(workdir)
    finally:
        target.write_bytes(SEEDS[i])


@pytest.mark.parametrize("case", sorted(CORPUS.glob("*")), ids=lambda p: p.name)
def test_regression_corpus(tmp_path, case):
    """Each file once crashed or hung the loader; as the plant's only file it must now fail cleanly (or load)."""
    shutil.copy(case, tmp_path / "plant.yaml")
    outcome(tmp_path)
