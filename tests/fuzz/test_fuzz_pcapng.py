"""Fuzz target: the pcapng reader (sections, interfaces and their options, enhanced, simple and obsolete
packet blocks) and everything behind it, on mutations of the first blocks of real pcapng captures and of
a few written here for the block kinds the real ones lack.

The contract is the pcap target's (`outcome`): the conversations read, at most one located CaptureError,
bounded time, never another exception. Inputs that once broke the reader are kept in corpus/pcapng/ and
replayed. A longer campaign:
`ZONEWARDEN_FUZZ_EXAMPLES=20000 .venv/bin/python -m pytest tests/fuzz/test_fuzz_pcapng.py`.
"""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from hypothesis import given

from zonewarden.traffic.capture import PCAPNG_MAGIC

from ..traffic import pcapgen as gen
from .test_fuzz_pcap import aimed, fuzz, outcome, seeds

CORPUS = Path(__file__).parent / "corpus" / "pcapng"
FRAME = gen.eth(gen.ipv4("10.0.0.1", "10.0.0.2", 6, gen.tcp(40000, 502, 0x18, b"\x00\x01\x00\x00\x00\x06\x01\x03"
                                                                          b"\x00\x00\x00\x01")))
PAD = -len(FRAME) % 4


def written() -> list[tuple[bytes, list[int]]]:
    """pcapng files with the blocks and options real captures here do not have: several interfaces with
    their own resolutions, simple and obsolete packet blocks, a second section, a big-endian section."""
    shb = gen.block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
    idb = [gen.block(1, struct.pack("<HHI", 1, 0, 0) + struct.pack("<HHB3x", 9, 1, r) + bytes(4)) for r in (6, 9, 0x94)]
    epb = [gen.block(6, struct.pack("<IIIII", i, 0x5F5E1, 0x5A5A5A5A, len(FRAME), len(FRAME)) + FRAME)
           for i in range(3)]
    spb = gen.block(3, struct.pack("<I", len(FRAME)) + FRAME)
    opb = gen.block(2, struct.pack("<HHIIII", 1, 0, 0x5F5E1, 0x10, len(FRAME), len(FRAME)) + FRAME)
    big = (struct.pack(">II", 0x0A0D0D0A, 28) + b"\x1a\x2b\x3c\x4d" + struct.pack(">HHqI", 1, 0, -1, 28)
           + struct.pack(">IIHHII", 1, 20, 1, 0, 0, 20)
           + struct.pack(">IIIIIII", 6, 32 + len(FRAME) + PAD, 0, 1, 2, len(FRAME), len(FRAME)) + FRAME + bytes(PAD)
           + struct.pack(">I", 32 + len(FRAME) + PAD))
    files = [shb + b"".join(idb) + b"".join(epb) + spb + opb, shb + idb[0] + spb + spb + shb + idb[1] + epb[0], big]
    out = []
    for data in files:
        starts, at = [], 0
        while at < len(data):
            starts.append(at)
            at += struct.unpack_from("<I" if data[at + 4:at + 6] != b"\x00\x00" else ">I", data, at + 4)[0]
        out.append((data, starts))
    return out


PCAPNG_SEEDS = seeds({PCAPNG_MAGIC}, per_folder=3) + written()


def test_the_seeds_hold_real_and_written_pcapng(tmp_path):
    assert len(PCAPNG_SEEDS) >= 10
    for data, starts in PCAPNG_SEEDS:
        assert data[:4] == PCAPNG_MAGIC and starts[0] == 0
    for i, (data, _) in enumerate(PCAPNG_SEEDS[-3:]):  # the written ones read cleanly before they are mutated
        path = tmp_path / f"{i}.pcapng"
        path.write_bytes(data)
        table = outcome(path)
        assert not table.errors and sum(f.packets for f in table.flows.values()) >= 1


@fuzz(1200)
@given(data=aimed(PCAPNG_SEEDS, (4, 8, 12, 16, 20, 24, 28)))  # block length, then the fields after it
def test_mutated_pcapng_files_read_or_fail_cleanly(tmp_path_factory, data):
    path = tmp_path_factory.getbasetemp() / "fuzz.pcapng"
    path.write_bytes(data)
    outcome(path)


@pytest.mark.parametrize("case", sorted(CORPUS.glob("*")), ids=lambda p: p.name)
def test_regression_corpus(case):
    """Each file once crashed the reader or failed with an unlocated error; now it reads or fails cleanly."""
    outcome(case)
