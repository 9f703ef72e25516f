"""Protocol decoders: each turns one direction's reassembled bytes into operations it counts.

A decoder module registers its class in DECODERS under the application name it decodes (design
§5's vocabulary); adding a protocol is one module and its test. A decoder walks its protocol's
own length fields, so one segment may carry several messages and one message may span segments.
"""

from __future__ import annotations

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


DECODERS: dict[str, type[StreamDecoder]] = {}


def register(app: str) -> Callable[[type[StreamDecoder]], type[StreamDecoder]]:
    def add(cls: type[StreamDecoder]) -> type[StreamDecoder]:
        DECODERS[app] = cls
        return cls
    return add


from . import dnp3, enip, iec104, modbus, s7comm  # noqa: E402,F401  - built-in decoders register themselves like add-ons would
