"""Fuzz target: the plant loader, checks and assessment on mutations of the example plant's files.

Whatever the bytes, the outcome is a plant, a located PlantReadError or PlantInvalid, never another exception.
Inputs that once broke it are kept in corpus/plant/ and replayed. A longer campaign:
`ZONEWARDEN_FUZZ_EXAMPLES=20000 .venv/bin/python -m pytest tests/fuzz/test_fuzz_plant.py`.
"""

from __future__ import annotations

import copy
import shutil
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zonewarden import assess, check_plant, load_plant
from zonewarden.model.diagnostics import PlantInvalid, PlantReadError
from zonewarden.model.load import read_raw

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


# -- values: the example's data with values swapped for odd ones of any type, dumped back to YAML ---------------

def _paths(data: object, prefix: tuple = ()) -> list[tuple]:
    out = [prefix] if prefix else []
    if isinstance(data, dict):
        for k, v in data.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            out += _paths(v, (*prefix, i))
    return out


BASE = read_raw(EXAMPLE).data
BASE.pop("include", None)
PATHS = _paths(BASE)
NAMES = sorted({str(p[1]) for p in PATHS if len(p) > 1 and p[0] in ("zones", "assets", "conduits", "roles")})
ODD = st.one_of(
    st.integers(-(2**70), 2**70), st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=12),
    st.none(), st.booleans(), st.lists(st.integers(-5, 5), max_size=8), st.dictionaries(st.text(max_size=4),
                                                                                        st.integers(), max_size=2),
    st.sampled_from(NAMES), st.dates(),
    st.sampled_from(["auto", "10.0.0.0/8", "0.0.0.0/0", "::/0", "fe80::1", "255.255.255.255", "SR 1.1",
                     "CR 1.1 RE 1", "SR 99.9", "T0800", "modbus", "fc6", "write", "*", "", " ", "-1", "1e999"]),
)


def _by_key(data: object, pool: dict) -> dict:
    """Every value of the plant under its key name: `zone` -> ['cell-1', 'enterprise', ...]."""
    if isinstance(data, dict):
        for k, v in data.items():
            pool.setdefault(k, []).append(v)
            _by_key(v, pool)
    elif isinstance(data, list):
        for v in data:
            _by_key(v, pool)
    return pool


SAME_KEY = _by_key(BASE, {})


@st.composite
def odd_plant(draw: st.DrawFn) -> dict:
    """Up to four edits: a value deleted, swapped for one the same key has elsewhere (an asset moved to another
    zone, a conduit's ends swapped: plants that load and reach the analyses), or replaced by an odd one."""
    data = copy.deepcopy(BASE)
    for _ in range(draw(st.integers(1, 4))):
        path = draw(st.sampled_from(PATHS))
        parent = data
        try:
            for step in path[:-1]:
                parent = parent[step]
            how = draw(st.integers(0, 5))
            key = path[-1] if isinstance(path[-1], str) else path[-2]
            if how == 0:
                del parent[path[-1]]
            elif how <= 3 and SAME_KEY.get(key):
                parent[path[-1]] = copy.deepcopy(draw(st.sampled_from(SAME_KEY[key])))
            else:
                parent[path[-1]] = draw(ODD)
        except (KeyError, IndexError, TypeError):  # an earlier edit removed or replaced the way there
            continue
    return data


@settings(max_examples=budget(15), deadline=None, derandomize=not CAMPAIGN, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture])
@given(data=odd_plant())
def test_odd_values_load_or_fail_cleanly(tmp_path_factory, data):
    folder = tmp_path_factory.mktemp("odd")
    (folder / "plant.yaml").write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    outcome(folder)
