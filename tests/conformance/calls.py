"""Calling the suite's functions through a lazybind module and comparing, byte for byte, what C
received and returned with what was passed and expected.

`Caller(module, suite).call(signature)` makes random arguments (seeded by the suite's seed and
the function's name, so a call is the same in every process), calls the function as a user
would (records are the module's classes, a callback is a plain Python function, variadic
arguments go through lazybind's wrapper), and returns an Outcome: right, wrong (each difference
described), or refused (the error lazybind raised instead of making the call).

Compared: each parameter's bytes as C logged them (a record's data bits only, as lb_mask gives
them; pointers and strings by address, since C reads through no pointer it is given, however
wrong), what each variadic argument arrived as, what C passed the callback and what C got back
from it, and the result (a record's data bits; floats by bit pattern).
"""

from __future__ import annotations

import ctypes
import random
import struct
from dataclasses import dataclass, field
from typing import Any, List, Optional

from .model import Record, Scalar, Signature, Suite, finite, scalar_bytes, text


@dataclass
class Outcome:
    signature: Signature
    refused: str = ""  # why lazybind refused the function ("" when it made the call)
    problems: List[str] = field(default_factory=list)  # how the call went wrong


@dataclass
class _Sent:
    what: str
    value: Any       # what Python passes
    expected: bytes  # what C must log
    mask: Optional[bytes] = None  # a record's data bits
    keep: Any = None  # what `value` points into, alive until the call returns


def _address(obj) -> int:
    return ctypes.cast(obj, ctypes.c_void_p).value or 0


def _hex(data: bytes, mask: Optional[bytes]) -> str:
    if mask is None:
        return data.hex()
    return "".join("%02x" % (b & m) if m else ".." for b, m in zip(data, mask))


def _masked(data: bytes, mask: Optional[bytes]) -> bytes:
    return data if mask is None else bytes(b & m for b, m in zip(data, mask))


class Caller:
    def __init__(self, module, suite: Suite):
        self.module = module
        self.suite = suite
        self._masks = {}

    # -- records ----------------------------------------------------------------------------

    def record_class(self, record: Record):
        return getattr(self.module, record.python_name)

    def mask(self, record: Record) -> bytes:
        mask = self._masks.get(record.number)
        if mask is None:
            size = self.module.lb_sizeof(record.number)
            buffer = ctypes.create_string_buffer(size)
            self.module.lb_mask(record.number, buffer)
            mask = self._masks[record.number] = buffer.raw[:size]
        return mask

    def fixed(self, record: Record, raw: bytes) -> bytes:
        buffer = ctypes.create_string_buffer(raw, len(raw))
        self.module.lb_fix(record.number, buffer)
        return buffer.raw[:len(raw)]

    # -- values -----------------------------------------------------------------------------

    def _scalar(self, rng: random.Random, scalar: Scalar, what: str) -> _Sent:
        kind = scalar.kind
        if kind == "string":
            value = None if rng.random() < 0.1 else text(rng) + b"\0tail"  # passed whole
            return _Sent(what, value, _address(value).to_bytes(8, "little"))
        if kind == "pointer":
            target = (ctypes.c_int * 3)()
            element = ctypes.c_int.from_buffer(target, 4)
            value = rng.choice([None, ctypes.pointer(element), ctypes.byref(element), target])
            address = 0 if value is None else ctypes.addressof(target) + (
                0 if value is target else 4)
            return _Sent(what, value, address.to_bytes(8, "little"), keep=target)
        if kind == "address":
            address = 0 if rng.random() < 0.1 else rng.getrandbits(64)
            return _Sent(what, address or None, address.to_bytes(8, "little"))
        if kind == "longdouble":
            value = finite(rng, "d")
            return _Sent(what, value, bytes(ctypes.c_longdouble(value))[:10])
        data = scalar_bytes(rng, scalar)
        return _Sent(what, _from_bytes(scalar, data), data)

    def _record(self, rng: random.Random, record: Record, what: str) -> _Sent:
        cls = self.record_class(record)
        size = self.module.lb_sizeof(record.number)
        if ctypes.sizeof(cls) != size:
            raise AssertionError("%s: sizeof %d in ctypes, %d in C" % (
                record.spelling, ctypes.sizeof(cls), size))
        data = self.fixed(record, rng.getrandbits(size * 8).to_bytes(size, "little"))
        return _Sent(what, cls.from_buffer_copy(data), data, self.mask(record))

    def _vararg(self, rng: random.Random, kind: str, what: str) -> _Sent:
        if kind in ("int", "c_int", "long", "c_long"):
            small = kind in ("int", "c_int")
            while True:
                number = rng.getrandbits(32 if small else 64) - (1 << (31 if small else 63))
                if small or kind == "c_long" or not -2 ** 31 <= number < 2 ** 31:
                    break
            value = {"c_int": ctypes.c_int, "c_long": ctypes.c_long}.get(kind, int)(number)
            return _Sent(what, value, number.to_bytes(4 if small else 8, "little", signed=True))
        if kind in ("float", "c_double"):
            number = finite(rng, "d")
            return _Sent(what, ctypes.c_double(number) if kind == "c_double" else number,
                         struct.pack("<d", number))
        if kind in ("bytes", "c_char_p"):
            data = text(rng)
            value = ctypes.c_char_p(data) if kind == "c_char_p" else data
            return _Sent(what, value, _address(value).to_bytes(8, "little"))
        if kind == "pointer":
            target = ctypes.c_int()
            return _Sent(what, ctypes.pointer(target),
                         ctypes.addressof(target).to_bytes(8, "little"))
        return _Sent(what, None, bytes(8))

    # -- calls ------------------------------------------------------------------------------

    def call(self, sig: Signature) -> Outcome:
        outcome = Outcome(sig)
        try:
            function = getattr(self.module, sig.name)
        except TypeError as error:  # UnsupportedTypeError, LayoutError
            outcome.refused = "%s: %s" % (type(error).__name__, error)
            return outcome
        rng = random.Random("%d:%s" % (self.suite.seed, sig.name))
        sent = [self._record(rng, p, "parameter %d (%s)" % (i, p.spelling)) if isinstance(p, Record)
                else self._scalar(rng, p, "parameter %d (%s)" % (i, p.spelling))
                for i, p in enumerate(sig.params)]
        sent += [self._vararg(rng, kind, "variadic argument %d (%s)" % (i, kind))
                 for i, kind in enumerate(sig.varargs)]
        args = [s.value for s in sent]
        received: List[tuple] = []
        if sig.callback is not None:
            callback, returned = self._callback(rng, sig, received)
            args.insert(sig.callback_at, callback)
            sent.append(returned)
        result = function(*args)
        self._compare_log(sent, outcome.problems)
        if sig.callback is not None:
            self._compare_callback_args(sig, received, outcome.problems)
        self._compare_result(sig, result, outcome.problems)
        return outcome

    def _callback(self, rng: random.Random, sig: Signature, received: List[tuple]):
        result = sig.callback.result
        if result is None:
            value, logged = None, b""
        elif result.kind in ("address", "pointer"):
            value = rng.getrandbits(64)
            logged = value.to_bytes(8, "little")
        elif result.kind == "longdouble":
            value = finite(rng, "d")
            logged = bytes(ctypes.c_longdouble(value))[:10]
        else:
            logged = scalar_bytes(rng, result)
            value = _from_bytes(result, logged)

        def callback(*args):
            received.append(args)
            return value

        return callback, _Sent("the callback's result as C got it", None, logged)

    def _compare_log(self, sent: List[_Sent], problems: List[str]):
        log = bytes(self.module.lb_log[:self.module.lb_len.value])
        position = 0
        for s in sent:
            got = log[position:position + len(s.expected)]
            position += len(s.expected)
            if _masked(got, s.mask) != _masked(s.expected, s.mask):
                problems.append("%s: passed %s, C received %s" % (
                    s.what, _hex(s.expected, s.mask), _hex(got, s.mask)))
        if position != len(log):
            problems.append("C logged %d bytes, %d expected" % (len(log), position))

    def _compare_callback_args(self, sig: Signature, received: List[tuple], problems: List[str]):
        cb = sig.callback
        if len(received) != 1:
            problems.append("the callback ran %d times" % len(received))
            return
        for i, (p, data, got) in enumerate(zip(cb.params, cb.args, received[0])):
            if _as_bytes(p, got) != data:
                problems.append("callback argument %d (%s): C passed %r, Python received %r" % (
                    i, p.spelling, _from_bytes(p, data), got))

    def _compare_result(self, sig: Signature, result, problems: List[str]):
        expected = sig.result
        if expected is None:
            if result is not None:
                problems.append("void function returned %r" % (result,))
            return
        if isinstance(expected, Record):
            size = self.module.lb_sizeof(expected.number)
            want = self.fixed(expected, self.suite.pool[sig.result_at:sig.result_at + size])
            mask = self.mask(expected)
            if _masked(bytes(result), mask) != _masked(want, mask):
                problems.append("result (%s): C returned %s, Python got %s" % (
                    expected.spelling, _hex(want, mask), _hex(bytes(result), mask)))
        elif _as_bytes(expected, result) != sig.result_bytes:
            problems.append("result (%s): C returned %r, Python got %r" % (
                expected.spelling, _from_bytes(expected, sig.result_bytes), result))


def _from_bytes(scalar: Scalar, data: bytes):
    """The Python value ctypes gives for `data`, C's bytes of a `scalar`."""
    kind = scalar.kind
    if kind == "bool":
        return bool(data[0])
    if kind in ("char", "string"):
        return data
    if kind in ("float", "double"):
        return struct.unpack("<f" if kind == "float" else "<d", data)[0]
    if kind == "longdouble":
        return ctypes.c_longdouble.from_buffer_copy(data + bytes(6)).value
    return int.from_bytes(data, "little", signed=scalar.signed)


def _as_bytes(scalar: Scalar, value) -> bytes:
    """C's bytes of a `scalar` from the Python value ctypes gave for it."""
    kind = scalar.kind
    if kind == "bool":
        return bytes([1 if value else 0])
    if kind in ("char", "string"):
        return value if isinstance(value, bytes) else b"<%r>" % (value,)
    if kind in ("float", "double"):
        return struct.pack("<f" if kind == "float" else "<d", value)
    if kind == "longdouble":
        return bytes(ctypes.c_longdouble(value))[:10]
    if kind in ("address", "pointer"):
        return (_address(value) if kind == "pointer" else value or 0).to_bytes(8, "little")
    return value.to_bytes(scalar.size, "little", signed=scalar.signed)
