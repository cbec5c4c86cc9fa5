"""The suite as C: a header lazybind binds, and the library (-shared -fPIC) its functions call.

Every function of the library writes what it received into `lb_log` (each parameter's bytes in
order: a scalar's value as C holds it, a long double's 10 data bytes, a pointer's or string's
address, a record's sizeof bytes), then calls its callback if it takes one (with fixed values,
logging the bytes the callback returned), then returns a fixed value: a scalar's drawn bytes, a
string literal, or for a record the pool's bytes at its `result_at`, fixed by `lb_fix`.

What of a record is data, and so must arrive, only C knows: `lb_mask(record, out)` writes a
record whose data bits are all ones (members, array elements, bitfields; a long double's 10
bytes) and whose padding is zero. `lb_fix(record, value)` makes the long doubles in a record
valid x87 numbers (from the int in their first bytes), so a record can be filled with random
bytes. `lb_sizeof(record)` and `lb_alignof(record)` are C's sizeof and _Alignof.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Iterator, List, Optional

from .model import VARARGS, Record, Scalar, Signature, Suite

LOG_SIZE = 1 << 16


def _bytes(data: bytes) -> str:
    return "{%s}" % ", ".join("0x%02x" % b for b in data) if data else "{0}"


def _string(data: bytes) -> str:
    return '"%s"' % data.decode("ascii")


def _logged_size(scalar: Scalar) -> str:
    return "10" if scalar.kind == "longdouble" else "sizeof(%s)" % scalar.spelling


def _declare(t, name: str) -> str:
    return "%s %s" % (t.spelling, name)


# -- records --------------------------------------------------------------------------------

def _record_definition(record: Record) -> str:
    members = []
    for m in record.members:
        suffix = "[%d]" % m.length if m.length else (" : %d" % m.bits if m.bits else "")
        members.append("    %s%s;" % (_declare(m.type, m.name), suffix))
    attribute = " __attribute__((%s))" % record.attribute if record.attribute else ""
    return "%s%s %s {\n%s\n};" % ("union" if record.union else "struct", attribute, record.tag,
                                  "\n".join(members))


def _walk(record: Record) -> str:
    """lb_walk_rN(m, fix): mark every data bit of *m (fix 0) or make its long doubles valid
    (fix 1). Records nest only earlier records, whose walkers are defined before."""
    lines = []
    for m in record.members:
        place, close = "m->%s" % m.name, ""
        if m.length:
            lines.append("    for (int i = 0; i < %d; i++) {" % m.length)
            place, close = place + "[i]", "    }"
        if isinstance(m.type, Record):
            lines.append("    lb_walk_%s(&%s, fix);" % (m.type.tag, place))
        elif m.bits:
            lines.append("    if (!fix) %s = (%s)~0ull;" % (place, m.type.spelling))
        elif m.type.kind == "longdouble":
            lines.append("    if (fix) { int v; memcpy(&v, &%s, sizeof v); %s = v; }" % (
                place, place))
            lines.append("    else memset(&%s, 0xff, 10);" % place)
        else:
            lines.append("    if (!fix) memset(&%s, 0xff, sizeof %s);" % (place, place))
        if close:
            lines.append(close)
    return "static void lb_walk_%s(%s *m, int fix) {\n%s\n}" % (
        record.tag, record.spelling, "\n".join(lines))


# What each per-record function does for `struct rN`, with `m` a local `struct rN`.
_RECORD_FUNCTIONS = [
    ("void lb_mask(int record, void *out)",
     "memset(&m, 0, sizeof m); lb_walk_%(tag)s(&m, 0); memcpy(out, &m, sizeof m); return;"),
    ("void lb_fix(int record, void *value)",
     "memcpy(&m, value, sizeof m); lb_walk_%(tag)s(&m, 1); memcpy(value, &m, sizeof m); return;"),
    ("unsigned long lb_sizeof(int record)", "return sizeof m;"),
    ("unsigned long lb_alignof(int record)", "return _Alignof(%(spelling)s);"),
]


def _record_functions(records: List[Record]) -> str:
    """The functions of _RECORD_FUNCTIONS: a switch on the record's number."""
    return "\n".join("%s {\n    switch (record) {\n%s\n    }\n    return%s;\n}" % (
        prototype, "\n".join("    case %d: { %s m; %s }" % (
            r.number, r.spelling, body % {"tag": r.tag, "spelling": r.spelling}) for r in records),
        "" if prototype.startswith("void") else " 0") for prototype, body in _RECORD_FUNCTIONS)


# -- functions ------------------------------------------------------------------------------

def _prototype(sig: Signature) -> str:
    params = [_declare(p, "a%d" % i) for i, p in enumerate(sig.params)]
    if sig.callback is not None:
        params.insert(sig.callback_at, "%s cb" % sig.callback.name)
    params += ["..."] if sig.varargs else []
    result = "void" if sig.result is None else sig.result.spelling
    return "%s %s(%s)" % (result, sig.name, ", ".join(params) or "void")


def _callback_typedef(sig: Signature) -> str:
    cb = sig.callback
    return "typedef %s (*%s)(%s);" % ("void" if cb.result is None else cb.result.spelling,
                                      cb.name, ", ".join(p.spelling for p in cb.params) or "void")


def _scalar_value(name: str, scalar: Scalar, data: bytes) -> str:
    """A statement declaring `name` of type `scalar` holding `data` (a string: its characters)."""
    if scalar.kind == "string":
        return "const char *%s = %s;" % (name, _string(data))
    padded = data + bytes(16 - len(data)) if scalar.kind == "longdouble" else data
    return "%s %s; { static const unsigned char k[] = %s; memcpy(&%s, k, sizeof %s); }" % (
        scalar.spelling, name, _bytes(padded), name, name)


def _body(sig: Signature) -> Iterator[str]:
    yield "    lb_len = 0;"
    for i, p in enumerate(sig.params):
        size = "sizeof a%d" % i if isinstance(p, Record) else _logged_size(p)
        yield "    lb_put(&a%d, %s);" % (i, size)
    if sig.varargs:
        last = "a%d" % (len(sig.params) - 1)
        yield "    va_list ap;\n    va_start(ap, %s);" % last
        for kind in sig.varargs:
            c_type = VARARGS[kind]
            yield "    { %s v = va_arg(ap, %s); lb_put(&v, sizeof v); }" % (c_type, c_type)
        yield "    va_end(ap);"
    cb = sig.callback
    if cb is not None:
        for i, (p, data) in enumerate(zip(cb.params, cb.args)):
            yield "    " + _scalar_value("x%d" % i, p, data)
        call = "cb(%s)" % ", ".join("x%d" % i for i in range(len(cb.params)))
        if cb.result is None:
            yield "    %s;" % call
        else:
            yield "    { %s r = %s; lb_put(&r, %s); }" % (cb.result.spelling, call,
                                                       _logged_size(cb.result))
    result = sig.result
    if isinstance(result, Record):
        yield "    { %s r; memcpy(&r, lb_pool + %d, sizeof r); lb_walk_%s(&r, 1); return r; }" % (
            result.spelling, sig.result_at, result.tag)
    elif result is not None:
        yield "    { %s return r; }" % _scalar_value("r", result, sig.result_bytes)


def render(suite: Suite) -> "tuple[str, str]":
    """(header, C source) of the suite."""
    records = suite.records
    callbacks = [_callback_typedef(s) for s in suite.signatures if s.callback is not None]
    header = "\n".join(
        ["/* lazybind call-conformance suite, seed %d: generated by tests/conformance */"
         % suite.seed]
        + [_record_definition(r) for r in records] + callbacks
        + ["extern unsigned char lb_log[%d];" % LOG_SIZE, "extern unsigned long lb_len;"]
        + ["%s;" % prototype for prototype, _ in _RECORD_FUNCTIONS]
        + ["%s;" % _prototype(s) for s in suite.signatures]) + "\n"
    source = "\n".join(
        ["#include <stdarg.h>", "#include <string.h>", '#include "lb.h"',
         "unsigned char lb_log[%d];" % LOG_SIZE, "unsigned long lb_len;",
         "static const unsigned char lb_pool[%d] = %s;" % (len(suite.pool), _bytes(suite.pool)),
         "static void lb_put(const void *p, unsigned long n) { memcpy(lb_log + lb_len, p, n); "
         "lb_len += n; }"]
        + [_walk(r) for r in records] + [_record_functions(records)]
        + ["%s {\n%s\n}" % (_prototype(s), "\n".join(_body(s))) for s in suite.signatures]) + "\n"
    return header, source


def build(suite: Suite, directory: Path, cc: Optional[str] = "cc") -> "tuple[Path, Path]":
    """Write DIRECTORY/lb.h and lb.c and compile liblb.so; return (header, library)."""
    header_text, source_text = render(suite)
    header, source, library = directory / "lb.h", directory / "lb.c", directory / "liblb.so"
    header.write_text(header_text)
    source.write_text(source_text)
    subprocess.run([cc, "-shared", "-fPIC", "-O0", "-w", "-Wno-psabi", "-o", str(library),
                    str(source)], check=True)
    return header, library
