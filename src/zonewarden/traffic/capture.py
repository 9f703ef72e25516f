"""Capture readers: pcap and pcapng, streamed from a memory map with `struct`, one record at a time.

Each reader yields (timestamp in ns, link type, frame bytes, original length) as a plain tuple
with the byte offset where the record ends (`records`, the hot path; the offset drives progress
bars), or as a Frame (`frames`). Memory stays flat
whatever the file size: frames are memoryview slices of the map. A truncated or corrupt file
stops the stream with a `CaptureError` naming the byte offset; everything yielded before it
stands. So does a pcapng block shorter than its own fields, and a timestamp that is no date (after
the year 9999, as a 64-bit tick count can say). Readers register by their magic number (READERS),
so a new format is one function.
"""

from __future__ import annotations

import datetime as dt
import mmap
import os
import stat
import struct
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NamedTuple

CAPTURE_SUFFIXES = (".pcap", ".pcapng", ".cap")  # what a folder of captures is read for
MAX_RECORD = 256 * 1024 * 1024  # no link layer has frames near this; a larger claim is corruption
DONTNEED = getattr(mmap, "MADV_DONTNEED", None)  # Linux, BSD and macOS; elsewhere pages stay mapped
TRIM_EVERY = 32 * 1024 * 1024  # bytes read between two releases of the map's pages already read
LAST_NS = (dt.datetime(dt.MAXYEAR, 12, 31, tzinfo=dt.UTC) - dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(1)) \
    // dt.timedelta(microseconds=1) * 1000 - 1  # the last nanosecond a date can name
# pcapng block type -> (name, the length of its fixed fields with the block's header and trailer)
PCAPNG_BLOCKS = {0x0A0D0D0A: ("section header", 28), 0x00000001: ("interface description", 20),
                 0x00000006: ("enhanced packet", 32), 0x00000003: ("simple packet", 16),
                 0x00000002: ("packet", 32)}


class CaptureError(Exception):
    """The capture cannot be read (further): the message names the file and the byte offset."""

    def __init__(self, path: str, offset: int | None, message: str) -> None:
        self.path, self.offset, self.message = path, offset, message
        where = f" at byte {offset}" if offset is not None else ""
        super().__init__(f"{path}{where}: {message}")


class Frame(NamedTuple):
    ts_ns: int
    linktype: int
    data: memoryview
    orig_len: int


Interface = tuple[int, int, int, int]  # pcapng: link type, snap length, ns per tick as numerator and denominator
Record = tuple[int, int, memoryview, int, int]  # a Frame's fields and the end offset, as a plain tuple
Trim = Callable[[int], None]  # releases the pages of the map before an offset: RSS stays flat
Reader = Callable[[memoryview, str, Trim], Iterator[Record]]
PCAP_MAGIC = {
    b"\xd4\xc3\xb2\xa1": ("<", 1000),  # little-endian, microseconds
    b"\xa1\xb2\xc3\xd4": (">", 1000),
    b"\x4d\x3c\xb2\xa1": ("<", 1),  # nanoseconds
    b"\xa1\xb2\x3c\x4d": (">", 1),
}
PCAPNG_MAGIC = b"\x0a\x0d\x0d\x0a"


def read_pcap(buf: memoryview, path: str, trim: Trim) -> Iterator[Record]:
    if len(buf) < 24:
        raise CaptureError(path, 0, f"pcap file header is 24 bytes, the file has {len(buf)}")
    endian, ts_mult = PCAP_MAGIC[bytes(buf[:4])]
    _, _, _, _, snaplen, linkfield = struct.unpack_from(endian + "HHiIII", buf, 4)
    linktype = linkfield & 0x0FFFFFFF
    rec = struct.Struct(endian + "IIII")
    limit = MAX_RECORD
    off, end = 24, len(buf)
    next_trim = TRIM_EVERY
    while off < end:
        if off > next_trim:
            trim(off)
            next_trim = off + TRIM_EVERY
        if off + 16 > end:
            raise CaptureError(path, off, f"truncated record header ({end - off} of 16 bytes)")
        sec, frac, caplen, origlen = rec.unpack_from(buf, off)
        if caplen > limit:
            raise CaptureError(path, off, f"record claims {caplen} bytes (snap length {snaplen}); the file is corrupt")
        start = off + 16
        if start + caplen > end:
            raise CaptureError(path, off, f"truncated record: {caplen} bytes claimed, {end - start} left")
        off = start + caplen
        yield sec * 1_000_000_000 + frac * ts_mult, linktype, buf[start:off], origlen, off


def read_pcapng(buf: memoryview, path: str, trim: Trim) -> Iterator[Record]:
    """pcapng: several sections and interfaces; EPB, SPB and the obsolete OPB carry packets."""
    off, end = 0, len(buf)
    next_trim = TRIM_EVERY
    endian = "<"
    interfaces: list[Interface] = []
    while off < end:
        if off > next_trim:
            trim(off)
            next_trim = off + TRIM_EVERY
        if off + 12 > end:
            raise CaptureError(path, off, f"truncated block header ({end - off} of 12 bytes)")
        if bytes(buf[off:off + 4]) == PCAPNG_MAGIC:
            bom = bytes(buf[off + 8:off + 12])
            if bom == b"\x4d\x3c\x2b\x1a":
                endian = "<"
            elif bom == b"\x1a\x2b\x3c\x4d":
                endian = ">"
            else:
                raise CaptureError(path, off, "section header with an unknown byte-order magic")
            interfaces = []
        btype, blen = struct.unpack_from(endian + "II", buf, off)
        if blen < 12 or blen % 4 or blen > MAX_RECORD:
            raise CaptureError(path, off, f"block of type {btype:#x} claims length {blen}; the file is corrupt")
        if off + blen > end:
            raise CaptureError(path, off, f"truncated block: {blen} bytes claimed, {end - off} left")
        known = PCAPNG_BLOCKS.get(btype)
        if known is not None and blen < known[1]:
            raise CaptureError(path, off, f"{known[0]} block of {blen} bytes, shorter than its own fields "
                                          f"({known[1]} bytes); the file is corrupt")
        body = off + 8
        if btype == 0x00000006:  # enhanced packet
            iface, hi, lo, caplen, origlen = struct.unpack_from(endian + "IIIII", buf, body)
            yield _packet(path, off, interfaces, iface, (hi << 32) | lo, buf, body + 20, caplen, origlen, blen)
        elif btype == 0x00000001:  # interface description
            linktype, _, snaplen = struct.unpack_from(endian + "HHI", buf, body)
            interfaces.append((linktype, snaplen, *_tsresol(buf, body + 8, off + blen - 4, endian)))
        elif btype == 0x00000003:  # simple packet: interface 0, no timestamp
            (origlen,) = struct.unpack_from(endian + "I", buf, body)
            snap = interfaces[0][1] if interfaces and interfaces[0][1] else origlen
            caplen = min(origlen, snap, blen - 16)
            yield _packet(path, off, interfaces, 0, 0, buf, body + 4, caplen, origlen, blen)
        elif btype == 0x00000002:  # obsolete packet block
            iface, _, hi, lo, caplen, origlen = struct.unpack_from(endian + "HHIIII", buf, body)
            yield _packet(path, off, interfaces, iface, (hi << 32) | lo, buf, body + 20, caplen, origlen, blen)
        off += blen


def _packet(path: str, off: int, interfaces: list[Interface], iface: int, ticks: int,
            buf: memoryview, start: int, caplen: int, origlen: int, blen: int) -> Record:
    if iface >= len(interfaces):
        raise CaptureError(path, off, f"packet names interface {iface}, but only {len(interfaces)} are described")
    if start + caplen > off + blen:
        raise CaptureError(path, off, f"packet claims {caplen} bytes, more than its block holds")
    linktype, _, mul, div = interfaces[iface]
    ts = ticks * mul if div == 1 else ticks * mul // div
    if ts > LAST_NS:
        raise CaptureError(path, off, f"packet timestamp of {ticks} ticks of {mul / div:g} ns falls after the "
                                      f"year {dt.MAXYEAR}: not a date; the file is corrupt")
    return ts, linktype, buf[start:start + caplen], origlen, off + blen


def _tsresol(buf: memoryview, opt: int, end: int, endian: str) -> tuple[int, int]:
    """Nanoseconds per timestamp tick, as a fraction (numerator, denominator), from an interface's
    if_tsresol option: 10^-n or 2^-n seconds (default microseconds)."""
    while opt + 4 <= end:
        code, length = struct.unpack_from(endian + "HH", buf, opt)
        if code == 0 or opt + 4 + length > end:
            break
        if code == 9 and length >= 1:
            v = buf[opt + 4]
            if v & 0x80:
                return 10**9, 2 ** (v & 0x7F)
            return (10 ** (9 - v), 1) if v <= 9 else (1, 10 ** (v - 9))
        opt += 4 + ((length + 3) & ~3)
    return 1000, 1


READERS: dict[bytes, Reader] = {**{m: read_pcap for m in PCAP_MAGIC}, PCAPNG_MAGIC: read_pcapng}


def frames(path: str | os.PathLike[str]) -> Iterator[Frame]:
    """Stream the frames of a capture file; raises CaptureError (with the offset) at the first damage."""
    return (Frame(ts, linktype, data, orig_len) for ts, linktype, data, orig_len, _ in records(path))


def records(path: str | os.PathLike[str]) -> Iterator[Record]:
    """`frames` as plain tuples: what the flow table reads."""
    p = Path(path)
    name = str(path)
    try:
        if not stat.S_ISREG(os.stat(p).st_mode):  # opening a FIFO would wait for a writer; a device never ends
            raise CaptureError(name, None, "not a regular file: a capture is read from a file")
        fh = open(p, "rb")  # noqa: SIM115 - kept open while the generator runs
    except OSError as e:
        raise CaptureError(name, None, e.strerror or str(e)) from None
    with fh:
        size = os.fstat(fh.fileno()).st_size
        if size == 0:
            raise CaptureError(name, 0, "the file is empty")
        mm = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
        buf = memoryview(mm)
        released = 0

        def trim(offset: int) -> None:
            """Drop the pages before `offset` from this process (they stay in the page cache, and a
            later access, say to a frame still referenced, reads them back): memory stays flat."""
            nonlocal released
            upto = offset - offset % mmap.ALLOCATIONGRANULARITY
            if upto > released and DONTNEED is not None:
                mm.madvise(DONTNEED, released, upto - released)
                released = upto

        try:
            reader = READERS.get(bytes(buf[:4]))
            if reader is None:
                raise CaptureError(name, 0, f"not a pcap or pcapng file (magic {bytes(buf[:4]).hex()})")
            yield from reader(buf, name, trim)
        finally:
            try:
                buf.release()
                mm.close()
            except BufferError:  # a caller still holds a frame: the map closes when the last view goes
                pass
