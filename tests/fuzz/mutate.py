"""Mutations of real inputs for the fuzz targets: byte flips, cuts, repeats and splices of the format's own
tokens, drawn by Hypothesis so that a failure shrinks to a small input and replays from its seed."""

from __future__ import annotations

import os

from hypothesis import strategies as st

EXAMPLES = int(os.environ.get("ZONEWARDEN_FUZZ_EXAMPLES", "0"))  # >0: a longer campaign outside CI


CAMPAIGN = EXAMPLES > 0  # a campaign draws new inputs each run; the suite replays the same ones (derandomize)


def budget(default: int) -> int:
    """Examples per target: small in the suite, ZONEWARDEN_FUZZ_EXAMPLES for a campaign."""
    return EXAMPLES or default


@st.composite
def mutated(draw: st.DrawFn, seeds: list[bytes], tokens: list[bytes], max_steps: int = 6) -> bytes:
    """One seed, changed by up to `max_steps` edits."""
    data = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(0, max_steps))):
        n = len(data)
        at = draw(st.integers(0, n))
        op = draw(st.sampled_from(("flip", "cut", "insert", "repeat", "truncate")))
        if op == "flip" and at < n:
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif op == "cut":
            del data[at:at + draw(st.integers(1, 64))]
        elif op == "insert":
            data[at:at] = draw(st.sampled_from(tokens)) if draw(st.booleans()) else draw(st.binary(max_size=8))
        elif op == "repeat" and at < n:
            span = bytes(data[at:at + draw(st.integers(1, 200))])
            data[at:at] = span * draw(st.integers(1, 50))
        elif op == "truncate":
            del data[at:]
    return bytes(data)
