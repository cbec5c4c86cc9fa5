"""The suite's model of what it calls: C scalar types, records, signatures, drawn from a seed.

Everything here is plain data and deterministic for a seed, so a subprocess (unguarded.py) can
draw the very same suite again. The C text is rendered from it by harness.py; the values a
call passes are made by calls.py. Besides the random draw, `regressions` gives fixed cases: the
two signatures issue 16 reported ctypes calling wrong.

A record's C layout is never computed here: the C compiler lays it out, and the harness asks C
which bits of it are data (lb_mask), so this model cannot share a mistake with lazybind's.
"""

from __future__ import annotations

import ctypes
import random
import struct
from dataclasses import dataclass, field
from typing import List, Optional, Tuple, Union


@dataclass(frozen=True)
class Scalar:
    spelling: str  # C
    kind: str      # bool char int float double longdouble address pointer string
    size: int      # bytes C receives and the harness logs (10 for long double: its data)
    signed: bool = False
    bitfield: bool = True  # may be a bitfield's type


SCALARS = [
    Scalar("_Bool", "bool", 1), Scalar("char", "char", 1, True),
    Scalar("signed char", "int", 1, True), Scalar("unsigned char", "int", 1),
    Scalar("short", "int", 2, True), Scalar("unsigned short", "int", 2),
    Scalar("int", "int", 4, True), Scalar("unsigned int", "int", 4),
    Scalar("long", "int", 8, True), Scalar("unsigned long", "int", 8),
    Scalar("long long", "int", 8, True), Scalar("unsigned long long", "int", 8),
    Scalar("float", "float", 4, bitfield=False), Scalar("double", "double", 8, bitfield=False),
    Scalar("long double", "longdouble", 10, bitfield=False),
    Scalar("void *", "address", 8, bitfield=False), Scalar("int *", "pointer", 8, bitfield=False),
    Scalar("const char *", "string", 8, bitfield=False),
]
BY_SPELLING = {s.spelling: s for s in SCALARS}
# what the eightbyte classes are made of, drawn more often than the rest
_COMMON = ["int", "unsigned int", "float", "double", "char", "short", "long", "unsigned char"]


@dataclass
class Member:
    name: str
    type: Union[Scalar, "Record"]
    length: Optional[int] = None  # an array of `length`
    bits: Optional[int] = None    # a bitfield of `bits`


@dataclass
class Record:
    number: int
    union: bool
    members: List[Member]
    attribute: str = ""  # "packed", "aligned(16)", "packed, aligned(4)"

    @property
    def tag(self) -> str:
        return "r%d" % self.number

    @property
    def spelling(self) -> str:
        return "%s %s" % ("union" if self.union else "struct", self.tag)

    @property
    def python_name(self) -> str:  # the generated module's name for it
        return "%s_%s" % ("union" if self.union else "struct", self.tag)

    def rough_size(self) -> int:
        """About sizeof: steers the draw towards records that fit in registers."""
        sizes = [(m.type.rough_size() if isinstance(m.type, Record) else m.type.size)
                 * (m.length or 1) for m in self.members]
        return max(sizes) if self.union else sum(sizes)


Type = Union[Scalar, Record]


@dataclass
class CallbackType:
    number: int
    result: Optional[Scalar]
    params: List[Scalar]
    args: List[bytes]  # what C passes the callback (strings: the literal's characters)

    @property
    def name(self) -> str:
        return "lb_cb%d" % self.number


@dataclass
class Signature:
    name: str
    result: Optional[Type]
    params: List[Type]
    result_bytes: bytes = b""  # what C returns (a string result: its characters)
    result_at: int = 0         # a record result: C returns POOL's bytes from here, fixed by lb_fix
    callback: Optional[CallbackType] = None
    callback_at: int = -1      # the callback parameter's position among the parameters
    varargs: List[str] = field(default_factory=list)  # VARARGS keys, for a variadic function

    def describe(self) -> str:
        def spell(t):
            return "void" if t is None else t.spelling
        params = [spell(p) for p in self.params]
        if self.callback is not None:
            params.insert(self.callback_at, self.callback.name)
        params += ["..."] if self.varargs else []
        varargs = " with %s" % ", ".join(self.varargs) if self.varargs else ""
        return "%s %s(%s)%s" % (spell(self.result), self.name, ", ".join(params), varargs)


# A variadic argument: how Python passes it, and what C reads it as with va_arg. Python ints
# are promoted to int when they fit, else long; floats to double; bytes to char *.
POOL_SIZE = 8192

VARARGS = {
    "int": "int", "c_int": "int", "long": "long", "c_long": "long", "float": "double",
    "c_double": "double", "bytes": "const char *", "c_char_p": "const char *",
    "pointer": "void *", "None": "void *",
}


# -- drawing --------------------------------------------------------------------------------

def _pools(bitfield: bool, strings: bool) -> Tuple[List[Scalar], List[Scalar]]:
    pool = [s for s in SCALARS if (s.bitfield or not bitfield) and (strings or s.kind != "string")]
    return [s for s in pool if s.spelling in _COMMON], pool


_POOLS = {(b, s): _pools(b, s) for b in (False, True) for s in (False, True)}


def _scalar(rng: random.Random, bitfield=False, strings=True) -> Scalar:
    common, pool = _POOLS[bitfield, strings]
    return rng.choice(common if rng.random() < 0.6 else pool)


def draw_record(rng: random.Random, number: int, small: List[Record]) -> Record:
    """A record of scalars, arrays, bitfields and records of `small` (earlier, about 16 bytes
    at most, so that nesting does not make every record MEMORY)."""
    union = rng.random() < 0.18
    members: List[Member] = []
    for index in range(rng.choice([1, 1, 2, 2, 2, 3, 3, 3, 4, 5])):
        name = "m%d" % index
        roll = rng.random()
        if roll < 0.16:
            scalar = _scalar(rng, bitfield=True)
            members.append(Member(name, scalar, bits=rng.randint(1, 1 if scalar.kind == "bool"
                                                                   else scalar.size * 8)))
        elif roll < 0.30:
            members.append(Member(name, _scalar(rng), length=rng.randint(1, 4)))
        elif roll < 0.40 and small:
            members.append(Member(name, rng.choice(small), length=rng.choice([None, None, 2])))
        else:
            members.append(Member(name, _scalar(rng)))
    attribute = rng.choice([""] * 14 + ["packed", "aligned(8)", "aligned(16)",
                                        "packed, aligned(4)"])
    return Record(number, union, members, attribute)


def draw_records(rng: random.Random, count: int) -> List[Record]:
    records: List[Record] = []
    small: List[Record] = []
    for number in range(count):
        records.append(draw_record(rng, number, small))
        if records[-1].rough_size() <= 16:
            small.append(records[-1])
    return records


def scalar_bytes(rng: random.Random, scalar: Scalar) -> bytes:
    """A random value of `scalar` as C holds it: floats finite (a NaN's bits may change on the
    way through Python floats), _Bool 0 or 1, long double converted from a double."""
    if scalar.kind == "bool":
        return bytes([rng.randint(0, 1)])
    if scalar.kind == "float":
        return struct.pack("<f", finite(rng, "f"))
    if scalar.kind == "double":
        return struct.pack("<d", finite(rng, "d"))
    if scalar.kind == "longdouble":
        return bytes(ctypes.c_longdouble(finite(rng, "d")))[:10]
    return rng.getrandbits(scalar.size * 8).to_bytes(scalar.size, "little")


def finite(rng: random.Random, code: str) -> float:
    """A float of every bit pattern but the infinite and NaN ones (and not exactly 0, which
    could hide a value that did not arrive)."""
    bits = 32 if code == "f" else 64
    while True:
        value = struct.unpack("<" + code, rng.getrandbits(bits).to_bytes(bits // 8, "little"))[0]
        if value == value and abs(value) != float("inf") and value != 0:
            return value


def text(rng: random.Random) -> bytes:
    """A string literal's characters (no escapes needed in C)."""
    alphabet = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 _-+"
    return bytes(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))


def _value_type(rng: random.Random, records: List[Record], record_share: float) -> Type:
    return rng.choice(records) if records and rng.random() < record_share else _scalar(rng)


def _result(rng, records, record_share=0.3):
    roll = rng.random()
    if roll < 0.2:
        return None, b""
    result = _value_type(rng, records, record_share)
    if isinstance(result, Record):
        return result, b""
    return result, (text(rng) if result.kind == "string" else scalar_bytes(rng, result))


def draw_signature(rng: random.Random, name: str, records: List[Record]) -> Signature:
    count = rng.choice([0, 1, 2, 3, 4, 5, 6, 6, 7, 7, 8, 8, 9, 10, 12, 14, 17])
    params = [_value_type(rng, records, 0.4) for _ in range(count)]
    result, result_bytes = _result(rng, records)
    return Signature(name, result, params, result_bytes, result_at=rng.randrange(POOL_SIZE // 2))


def draw_variadic(rng: random.Random, name: str, records: List[Record]) -> Signature:
    params = [_value_type(rng, records, 0.2) for _ in range(rng.randint(1, 7))]
    result, result_bytes = _result(rng, records, 0.1)
    varargs = [rng.choice(sorted(VARARGS)) for _ in range(rng.randint(1, 10))]
    return Signature(name, result, params, result_bytes, varargs=varargs,
                     result_at=rng.randrange(POOL_SIZE // 2))


def draw_callback(rng: random.Random, name: str, number: int) -> Signature:
    """A function taking a callback among scalar parameters (no records: a record passed wrong
    could hand C a wrong function pointer, and ctypes callbacks take no records anyway)."""
    cb_result = None if rng.random() < 0.2 else _scalar(rng, strings=False)
    cb_params = [_scalar(rng) for _ in range(rng.choice([0, 1, 2, 3, 4, 6, 8, 10]))]
    cb_args = [text(rng) if p.kind == "string" else scalar_bytes(rng, p) for p in cb_params]
    callback = CallbackType(number, cb_result, cb_params, cb_args)
    params = [_scalar(rng) for _ in range(rng.randint(0, 6))]
    result, result_bytes = _result(rng, [])
    return Signature(name, result, params, result_bytes, callback=callback,
                     callback_at=rng.randint(0, len(params)))


@dataclass
class Suite:
    seed: int
    records: List[Record]
    signatures: List[Signature]  # every function the test calls, probes included
    pool: bytes                  # random bytes C returns records from (see Signature.result_at)

    def by_name(self, name: str) -> Signature:
        if not hasattr(self, "_by_name"):
            self._by_name = {s.name: s for s in self.signatures}
        return self._by_name[name]


def draw_suite(seed: int, count: int) -> Suite:
    """`count` random signatures (a tenth variadic, a tenth taking a callback), the records they
    use, the fixed regression cases, and two probes per record."""
    rng = random.Random(seed)
    records = draw_records(rng, max(8, count // 3))
    signatures: List[Signature] = []
    for number in range(count):
        roll = rng.random()
        if roll < 0.1:
            signatures.append(draw_variadic(rng, "v%d" % number, records))
        elif roll < 0.2:
            signatures.append(draw_callback(rng, "c%d" % number, number))
        else:
            signatures.append(draw_signature(rng, "f%d" % number, records))
    regression_records, fixed = regressions(len(records))
    for record in records + regression_records:
        signatures += probes(rng, record)
    pool = rng.getrandbits(POOL_SIZE * 8).to_bytes(POOL_SIZE, "little")
    return Suite(seed, records + regression_records, signatures + fixed, pool)


def probes(rng: random.Random, record: Record) -> List[Signature]:
    """take_rN(struct rN, long, double) and struct rN give_rN(long, double): the record alone,
    with an integer and a vector register after it, which a wrong count of the registers it
    takes would displace."""
    after = [BY_SPELLING["long"], BY_SPELLING["double"]]
    return [Signature("take_" + record.tag, None, [record] + after),
            Signature("give_" + record.tag, record, after, result_at=rng.randrange(POOL_SIZE // 2))]


def regressions(first: int) -> Tuple[List[Record], List[Signature]]:
    """Fixed cases. Issue 16's two signatures: `struct J {int a0, a1; float g;}` after three
    longs, then again in the last integer register (C received b's float in a's g); and a
    record after such a call's integer registers ran out (C read H.c wrong: H is packed, so C
    takes it from the stack, where libffi, seeing a float and a double, uses vector registers).
    J in the last integer register with no vector register in use before it: called right.
    And two records (their probes) where GCC's classification is not the obvious one: a packed
    struct holding a union with a 37-bit bitfield, which GCC classifies as its declared
    unsigned long long, misaligned: MEMORY; and a packed struct holding an array of 4-byte
    structs with 5 bits of data, whose padding GCC still gives an INTEGER register."""
    number = iter(range(first, first + 7))

    def scalar(spelling):
        return BY_SPELLING[spelling]

    def record(members, attribute="", union=False):
        return Record(next(number), union, [Member("m%d" % i, *m) for i, m in enumerate(members)],
                      attribute)

    j = record([(scalar("int"),), (scalar("int"),), (scalar("float"),)])
    i = record([(scalar("int"),), (scalar("float"),), (scalar("double"),)])
    h = record([(scalar("float"),), (scalar("double"),)], "packed")
    bits37 = record([(scalar("int"),), (scalar("unsigned long long"), None, 37)], union=True)
    packed_union = record([(scalar("unsigned short"),), (scalar("unsigned char"), 2), (bits37,)],
                          "packed")
    bits5 = record([(scalar("int"), None, 5)])
    packed_array = record([(scalar("unsigned char"), 2), (bits5, 2)], "packed")
    issue_j = Signature("issue16_j", None, [scalar("long")] * 3 + [j, scalar("long"), j])
    alone_j = Signature("issue16_j_alone", None, [scalar("long")] * 5 + [j, scalar("double")])
    issue_h = Signature("issue16_h", None, [
        scalar("unsigned long long"), scalar("unsigned int"), i, scalar("short"),
        scalar("unsigned short"), i, scalar("unsigned int"), h])
    return [j, i, h, bits37, packed_union, bits5, packed_array], [issue_j, issue_h, alone_j]
