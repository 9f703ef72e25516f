"""Fuzz target: the pcap reader and everything behind it (link and IP layers, TCP reassembly, protocol
decoders, the flow table as Arrow), on mutations of the first records of real captures.

Whatever the bytes, reading ends with the conversations read and at most one CaptureError naming the
file and an offset inside it, within bounded time; never another exception. A second target builds TCP
and UDP conversations on the decoders' ports from mutated protocol messages, with segments dropped,
repeated and reordered, to reach the reassembler and decoders with structure the byte mutations rarely
keep. Inputs that once broke a reader are kept in corpus/pcap/ and replayed. A longer campaign:
`ZONEWARDEN_FUZZ_EXAMPLES=20000 .venv/bin/python -m pytest tests/fuzz/test_fuzz_pcap.py`.
"""

from __future__ import annotations

import itertools
import struct
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zonewarden.traffic.capture import CAPTURE_SUFFIXES, PCAP_MAGIC, CaptureError
from zonewarden.traffic.decoders.opcua import NONE_POLICY
from zonewarden.traffic.flows import FlowTable
from zonewarden.traffic.table import flows_to_arrow

from ..conftest import SHARED
from ..traffic import pcapgen as gen
from .mutate import CAMPAIGN, budget, mutated

PCAPS = SHARED / "data" / "pcaps"
CORPUS = Path(__file__).parent / "corpus" / "pcap"
SECONDS = 3.0  # CPU time one input may take: a file of a few kilobytes reads in milliseconds
INTERESTING = [0, 1, 4, 12, 16, 0x7F, 0x80, 0xFF, 0xFFFF, 0x10000, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF]
TOKENS = [struct.pack("<I", v) for v in INTERESTING] + [struct.pack(">I", v) for v in INTERESTING] + [
    b"\x08\x00\x45\x00", b"\x86\xdd\x60\x00", b"\x81\x00\x00\x0a", b"\x00\x00\x00\x00\x02\x00", b"\x05\x64",
    b"\x03\x00\x00\x16", b"\x6f\x00", b"\x68\x04", b"HELF", b"MSGF", b"\x32\x01", b"\xff" * 8]


def outcome(path: Path) -> FlowTable:
    """Read a capture as `flows` does and check the contract: only located CaptureErrors, flows that render."""
    size = path.stat().st_size
    t = time.process_time()
    table = FlowTable()
    table.read(path)
    flows_to_arrow(table)
    for flow in table.flows.values():
        flow.as_dict()
    elapsed = time.process_time() - t
    assert elapsed < SECONDS, f"{path.name}: {elapsed:.1f} s"
    assert len(table.errors) <= 1
    for e in table.errors:
        assert isinstance(e, CaptureError) and e.message and str(path) in str(e)
        assert e.offset is None or 0 <= e.offset <= size, (e.offset, size)
    return table


def seeds(magics: set[bytes], records: int = 16, per_folder: int = 2) -> list[tuple[bytes, list[int]]]:
    """The first records of a few real captures of each folder (protocol) whose magic is one of `magics`."""
    chosen: dict[str, list[Path]] = {}
    unseen = set(magics)
    for path in sorted(PCAPS.rglob("*")):
        if path.suffix not in CAPTURE_SUFFIXES or path.stat().st_size < 64:
            continue
        with open(path, "rb") as fh:
            magic = fh.read(4)
        if magic not in magics:
            continue
        folder = chosen.setdefault(path.relative_to(PCAPS).parts[0], [])
        if len(folder) < per_folder or magic in unseen:  # every byte order and resolution the data has
            folder.append(path)
            unseen.discard(magic)
    return [gen.capture_prefix(p, records) for folder in chosen.values() for p in folder]


@st.composite
def aimed(draw: st.DrawFn, corpus: list[tuple[bytes, list[int]]], field_offsets: tuple[int, ...]) -> bytes:
    """A seed whose record (or block) header fields are set to boundary values, then mutated byte-wise."""
    data, starts = draw(st.sampled_from(corpus))
    data = bytearray(data)
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.sampled_from(starts)) + draw(st.sampled_from(field_offsets))
        if at + 4 <= len(data):
            order = draw(st.sampled_from("<>"))
            data[at:at + 4] = struct.pack(order + "I", draw(st.sampled_from(INTERESTING)))
    return draw(mutated([bytes(data)], TOKENS))


PCAP_SEEDS = seeds(set(PCAP_MAGIC))


def fuzz(examples: int) -> settings:
    """Hypothesis settings of a target: `examples` in the suite (about 10 s), a campaign's count outside it."""
    return settings(max_examples=budget(examples), deadline=None, derandomize=not CAMPAIGN, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.function_scoped_fixture])


def test_the_seeds_are_real_captures_of_several_protocols():
    assert len(PCAP_SEEDS) >= 20, f"expected the shared captures at {PCAPS}"
    assert len({data[:4] for data, _ in PCAP_SEEDS}) >= 2  # both byte orders


@fuzz(1000)
@given(data=aimed(PCAP_SEEDS, (0, 4, 8, 12)))  # a record header: seconds, fraction, captured and original length
def test_mutated_pcap_files_read_or_fail_cleanly(tmp_path_factory, data):
    path = tmp_path_factory.getbasetemp() / "fuzz.pcap"
    path.write_bytes(data)
    outcome(path)


# --- conversations on the decoders' ports, from mutated protocol messages ---------------------------------

_OPN = struct.pack("<Ii", 1, 47) + NONE_POLICY + struct.pack("<ii", -1, -1) + bytes(8) + b"\x01\x00\xbe\x01" + bytes(8)
OPN = b"OPNF" + struct.pack("<I", 8 + len(_OPN)) + _OPN  # open secure channel, security policy None
MESSAGES = {
    ("tcp", 502): [struct.pack("!HHHBBHH", 1, 0, 6, 1, 3, 0, 10), struct.pack("!HHHBB", 2, 0, 3, 1, 0x83) + b"\x02"],
    ("tcp", 102): [gen.cotp_data(bytes([0x32, 1, 0, 0, 0, 1, 0, 2, 0, 0, 0x04, 0x01]), True),
                   gen.cotp_data(b"\x32\x07" + bytes(20), False), gen.cotp_data(b"\x72\x01" + bytes(8), True),
                   struct.pack("!BBHBBBHHB", 3, 0, 22, 17, 0xE0, 0, 0, 1, 0) + bytes(10)],
    ("tcp", 44818): [gen.enip_rr_data(gen.nested_msp(3, levels=2)), gen.enip_rr_data(b"\x52\x02\x20\x06\x24\x01"
                     + b"\x0a\xf0\x06\x00\x4c\x02\x20\x02\x24\x01"), struct.pack("<HHII8sI", 0x65, 4, 0, 0,
                                                                                 bytes(8), 0) + b"\x01\x00\x00\x00"],
    ("tcp", 20000): [gen.dnp3_link(0xC0, b"\xc0\x01\x3c\x02\x06"), gen.dnp3_link(0x40, bytes(30)),
                     gen.dnp3_link(0x81, bytes(20))],
    ("tcp", 2404): [b"\x68\x04\x07\x00\x00\x00", b"\x68\x0e\x00\x00\x00\x00\x64\x01\x06\x00\x01\x00\x00\x00\x00\x14",
                    b"\x68\x04\x01\x00\x02\x00"],
    ("tcp", 4840): [b"HELF" + struct.pack("<I", 32) + bytes(24), OPN, b"MSGF" + struct.pack("<I", 36) + bytes(16)
                    + b"\x01\x00\x77\x02" + bytes(8)],
    ("udp", 47808): [b"\x81\x0a\x00\x11\x01\x04\x00\x05\x01\x0c\x0c\x02\x00\x00\x01\x19\x55",
                     b"\x81\x0b\x00\x0c\x01\x20\xff\xff\x00\xff\x10\x08"],
    ("udp", 2222): [struct.pack("<HHHIIHH", 2, 0x8002, 8, 1, 2, 0xB1, 4) + bytes(4)],
}
PORTS = sorted(MESSAGES)


@st.composite
def conversation(draw: st.DrawFn) -> list[tuple[float, bytes]]:
    """One conversation of mutated messages; TCP segments cut anywhere, then dropped, repeated, reordered,
    their sequence numbers sometimes knocked off."""
    l4, port = draw(st.sampled_from(PORTS))
    payloads = [draw(mutated(MESSAGES[(l4, port)], TOKENS, max_steps=3)) for _ in range(draw(st.integers(1, 8)))]
    if l4 == "udp":
        return [(1.0 + i / 100, gen.eth(gen.ipv4("10.0.0.1", "10.0.0.2", 17, gen.udp(40000, port, p))))
                for i, p in enumerate(payloads)]
    stream = b"".join(payloads)
    cuts = sorted(set(draw(st.lists(st.integers(0, len(stream)), max_size=10))) | {0, len(stream)})
    pieces = [stream[a:b] for a, b in itertools.pairwise(cuts) if b > a]
    frames = gen.tcp_stream("10.0.0.1", "10.0.0.2", 40000, port,
                            [(draw(st.booleans()) if i % 3 == 2 else True, p) for i, p in enumerate(pieces)])
    edits = draw(st.lists(st.tuples(st.sampled_from(("drop", "repeat", "swap", "seq")), st.integers(0, 50),
                                    st.integers(0, 2**32 - 1)), max_size=6))
    for op, i, value in edits:
        i %= len(frames)
        if op == "drop" and len(frames) > 1:
            del frames[i]
        elif op == "repeat":
            frames.insert(i, frames[i])
        elif op == "swap" and i + 1 < len(frames):
            frames[i], frames[i + 1] = frames[i + 1], frames[i]
        elif op == "seq" and len(frames[i][1]) >= 42:
            ts, frame = frames[i]
            frames[i] = (ts, frame[:38] + struct.pack("!I", value) + frame[42:])
    return frames


@fuzz(600)
@given(frames=conversation())
def test_conversations_of_mutated_messages_decode_cleanly(tmp_path_factory, frames):
    path = gen.pcap(tmp_path_factory.getbasetemp() / "conv.pcap", frames)
    table = outcome(path)
    assert not table.errors


@pytest.mark.parametrize("case", sorted(CORPUS.glob("*")), ids=lambda p: p.name)
def test_regression_corpus(case):
    """Each file once crashed a reader, hung it or grew its memory; now it reads or fails cleanly."""
    outcome(case)
