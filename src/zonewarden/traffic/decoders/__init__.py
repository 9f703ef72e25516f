"""Protocol decoders: each turns one direction's reassembled bytes into operations it counts.

A decoder module registers its class in DECODERS under the application name it decodes (design
§5's vocabulary); adding a protocol is one module and its test. A decoder walks its protocol's
own length fields, so one segment may carry several messages and one message may span segments.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

OpsCounter = dict[str, int]
DecoderFactory = Callable[[OpsCounter], "StreamDecoder"]


class StreamDecoder:
    """Base: `feed(data, after_gap, from_client)` with in-order bytes of one conversation."""

    app: str | None = None  # set by a decoder that finds a more precise application than the port said

    def __init__(self, ops: OpsCounter) -> None:
        self.ops = ops

    def count(self, op: str) -> None:
        self.ops[op] = self.ops.get(op, 0) + 1

    def feed(self, data: bytes, after_gap: bool, from_client: bool) -> None:  # pragma: no cover - interface
        raise NotImplementedError


class FramedDecoder(StreamDecoder):
    """A protocol framed by its own length fields: bytes wait per direction until a message is whole.

    Subclasses implement `parse(buf, from_client)`: count the whole messages at the front of `buf` and
    return how many bytes they used (all of `buf` to drop bytes that cannot be parsed). After a hole
    in the stream, what waited is dropped: the next bytes start afresh.
    """

    def __init__(self, ops: OpsCounter) -> None:
        super().__init__(ops)
        self.buffers = {True: bytearray(), False: bytearray()}

    def feed(self, data: bytes, after_gap: bool, from_client: bool) -> None:
        buf = self.buffers[from_client]
        if after_gap:
            buf.clear()
        buf += data
        used = self.parse(buf, from_client)
        if used:
            del buf[:used]

    def parse(self, buf: bytearray, from_client: bool) -> int:  # pragma: no cover - interface
        raise NotImplementedError


DECODERS: dict[str, type[StreamDecoder]] = {}


def register(app: str) -> Callable[[type[StreamDecoder]], type[StreamDecoder]]:
    def add(cls: type[StreamDecoder]) -> type[StreamDecoder]:
        DECODERS[app] = cls
        return cls
    return add


from . import bacnet, dnp3, enip, iec104, modbus, opcua, s7comm  # noqa: E402,F401  - built-in decoders register themselves like add-ons would

# app -> op -> class (read, write, program, control, diagnostics): what a flow rule's `ops` may name
# instead of a protocol's own operations (design §5); each decoder module declares its OP_CLASSES
OP_CLASSES: dict[str, dict[str, str]] = {
    app: getattr(sys.modules[cls.__module__], "OP_CLASSES", {}) for app, cls in DECODERS.items()}

