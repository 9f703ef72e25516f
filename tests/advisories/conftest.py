"""The real CISA CSAF corpus (../shared/data/csaf), read in place once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

CSAF = Path(__file__).resolve().parents[3] / "shared" / "data" / "csaf"


@pytest.fixture(scope="session")
def corpus():
    from zonewarden.advisories.csaf import read_folder

    if not CSAF.is_dir():
        pytest.skip(f"{CSAF} is not here")
    return read_folder(CSAF)


@pytest.fixture(scope="session")
def matcher(corpus):
    from zonewarden.advisories.match import Matcher

    return Matcher(corpus.advisories)
