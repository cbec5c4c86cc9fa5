"""lazybind runtime, calling conventions: a signature with a record by value that ctypes/libffi
would pass or return other than C does is refused where it is first used, naming the function
and the record; a stdcall function (i686 Windows' WINAPI) is made through a WinDLL. Runs in the
runtime's shared namespace (see core.py), loaded the first time a signature has a record by
value or a function is stdcall. Standard library only.

On x86-64 System V a record of up to 16 bytes travels in registers, one per eightbyte by its
class: INTEGER takes the next of six general registers, SSE the next of eight vector ones; a
record that needs more than are left, or is MEMORY (larger, a misaligned member, long double
argument), goes on the stack. ctypes describes a record to libffi as its _fields_, which libffi
lays out again at their natural alignment: for unions, bitfields, packed records and the
padding members lazybind adds, that is not the record C has, and libffi classifies it wrongly.
And libffi before 3.4.7 (Debian 12 has 3.4.4; fixed by its commit d21881f5) copies a record
whose first eightbyte is INTEGER into the last general register whole, the tail landing in the
first vector register. A signature meeting either is refused where it is first used, naming
the record; tests/conformance calls C to show both halves of the rule right.
"""

import ctypes
import os
import sys


_SYSV_X86_64 = (not sys.platform.startswith(("win", "cygwin", "msys"))
                and ctypes.sizeof(ctypes.c_void_p) == 8
                and os.uname().machine.lower() in ("x86_64", "amd64"))
_INTEGER, _SSE, _FLOAT, _X87, _X87UP, _MEMORY = "ISFXUM"  # _FLOAT: a float in the low half only
_SIMPLE_CLASSES = dict(dict.fromkeys("cbB?hHiIlLqQPzZuO", _INTEGER), f=_FLOAT, d=_SSE, g=_X87)


def _record_misrouted(binding, restype, argtypes):
    """Raise UnsupportedTypeError when ctypes would pass or return a record by value of this
    signature other than C does (see above). 0.3 us for a signature without records by value."""
    if not _SYSV_X86_64 or (type(restype) not in _RECORD_TYPES
                            and _RECORD_TYPES.isdisjoint(map(type, argtypes))):
        return
    used_gpr = used_sse = 0
    if type(restype) in _RECORD_TYPES:
        classes = _passing_classes(binding, restype, True)
        if classes is None:
            used_gpr = 1  # returned through a hidden pointer, the first integer argument
        elif _X87 in classes:
            _refuse(restype, "C returns its long double in st(0), libffi reads rax and rdx")
    for ctype in argtypes:
        if type(ctype) in _RECORD_TYPES:
            classes = _passing_classes(binding, ctype, False)
            if classes is None or _X87 in classes:
                continue  # on the stack
        else:
            classes = [_SIMPLE_CLASSES.get(getattr(ctype, "_type_", "P"), _INTEGER)]
        gpr, sse = classes.count(_INTEGER), classes.count(_SSE) + classes.count(_FLOAT)
        if used_gpr + gpr > 6 or used_sse + sse > 8 or _X87 in classes:
            continue
        if used_gpr == 5 and used_sse and classes[0] == _INTEGER and len(classes) == 2:
            _refuse(ctype, "libffi 3.4.4 copies all of it into the last integer register, its "
                    "tail over the vector register of an earlier argument")
        used_gpr += gpr
        used_sse += sse


def _refuse(ctype, why):
    kind, _, tag = ctype.__name__.partition("_")
    name = "%s %s" % (kind, tag) if tag and kind in ("struct", "union") else ctype.__name__
    raise UnsupportedTypeError("ctypes/libffi passes %s by value wrongly here: %s" % (name, why))


def _passing_classes(binding, ctype, is_result):
    """The eightbyte classes C passes record `ctype` in (None: MEMORY), once sure libffi does
    the same from ctypes' description of it and that on the stack it lies where C puts it."""
    found = find(binding._data, ctype.__name__)
    index = found[0] if found else -1
    if index < 0 or binding._types.get(("record", index)) is not ctype:
        _refuse(ctype, "not a record of this module")
    classes = binding._types.get(("classes", index))
    if classes is None:  # worked out once per record
        spec = binding._record_spec(index)
        classes = binding._types["classes", index] = _both_classes(binding, spec, ctype)
    wanted, got, align = classes
    if align != ctypes.alignment(ctype) and max(align, ctypes.alignment(ctype)) > 8:
        _refuse(ctype, "aligned to %d bytes in C, %d in ctypes" % (align, ctypes.alignment(ctype)))
    if wanted == "?":
        _refuse(ctype, "lazybind does not know the class of every member")
    if not is_result:  # an X87 argument goes on the stack, as a MEMORY one does
        got, wanted = (None if c and _X87 in c else c for c in (got, wanted))
    if got is None or wanted is None:
        if got is wanted:
            return None
    elif len(got) == len(wanted) and all(
            c == w or (c, w) == (_SSE, _FLOAT) or (w is None and is_result)
            for c, w in zip(got, wanted)):
        # libffi copying all 8 bytes of a float's register is harmless, and so is reading a
        # result's padding from one more register; an argument's would take the next one's
        return wanted
    _refuse(ctype, "C passes its eightbytes as %s, libffi as %s" % (
        _spell_classes(wanted), _spell_classes(got)))


def _both_classes(binding, spec, ctype):
    """(C's classes or "?" when a member's class is unknown, libffi's, C's alignment) of the
    record at `spec`."""
    size, align = (int(v) for v in spec[1:].split(";")[0].split(","))
    try:
        wanted = _c_classes(binding, spec, size, ctype)
    except LookupError:
        wanted = "?" if size <= 16 else None  # larger, MEMORY whatever it holds
    return wanted, _libffi_classes(_ffi_type(ctype), 0), align


def _spell_classes(classes):
    names = {_INTEGER: "INTEGER", _SSE: "SSE", _FLOAT: "SSE", _X87: "X87", _X87UP: "X87UP",
             None: "NO_CLASS"}
    return "MEMORY" if classes is None else "(%s)" % ", ".join(names[c] for c in classes)


def _merge(one, other):
    """The ABI's merge of two classes of one eightbyte (None: no class)."""
    if one == other or other is None:
        return one
    if one is None:
        return other
    if _MEMORY in (one, other):
        return _MEMORY
    if _INTEGER in (one, other):
        return _INTEGER
    if _X87 in (one, other) or _X87UP in (one, other):
        return _MEMORY
    return _SSE


def _c_classes(binding, spec, size, ctype):
    """The ABI's classes of the record laid out by `spec` (None: MEMORY); an SSE eightbyte
    with nothing in its upper half is _FLOAT, since 4 bytes copied there are enough."""
    if size > 16:
        return None
    classes = _gcc_classes(binding, spec, 0)
    upper = _upper_halves(ctype, 0)
    return classes and [_FLOAT if c == _SSE and word not in upper else c
                        for word, c in enumerate(classes)]


def _gcc_classes(binding, spec, bit_offset):
    """GCC 12's classify_argument (gcc/config/i386/i386.cc) of the type or record layout at
    `spec`, `bit_offset` bits into the argument: its eightbyte classes (every SSE one _SSE),
    or None for MEMORY; LookupError for a type whose class is not known here. As GCC does, a
    struct's bitfield is INTEGER where it has bits, a union's is a member of its declared
    type, and an array repeats its first element's classes over all its eightbytes."""
    tag = spec[0]
    if tag == "R":
        return _gcc_classes(binding, binding._record_spec(int(spec[1:])),
                            bit_offset)
    if tag in "SN[":
        if tag == "[":
            length, _, element = spec[1:].partition("]")
            size = int(length or 0) * _spec_size(binding, int(element))
        else:
            head, *fields = spec[1:].split(";")
            size = int(head.split(",")[0])
        words = (size + bit_offset % 64 // 8 + 7) // 8
        if not words:
            return [None]
        if tag == "[":
            sub = _gcc_classes(binding, binding.spec(int(element)), bit_offset)
            classes = sub and [sub[word % len(sub)] for word in range(words)]
        else:
            classes = _gcc_fields(binding, tag == "N", fields, bit_offset, [None] * words)
        if classes is None or words > 2 or _MEMORY in classes or any(
                c == _X87UP and (i == 0 or classes[i - 1] != _X87) for i, c in enumerate(classes)):
            return None  # beyond 16 bytes only vector types travel in registers
        return classes
    if tag in "*&":
        kind, size = _INTEGER, 8
    elif spec in ("pint128", "puint128"):
        kind, size = _INTEGER, 16
    elif tag == "p" and spec[1:] in _PRIMITIVE_CTYPES:
        ctype = _PRIMITIVE_CTYPES[spec[1:]]
        kind, size = _SIMPLE_CLASSES.get(ctype._type_, _INTEGER), ctypes.sizeof(ctype)
    else:
        raise LookupError(spec)
    if bit_offset % (size * 8):
        return None  # a misaligned (packed) member puts the whole record in memory
    if kind == _X87:
        return [_X87, _X87UP]
    return [_SSE if kind == _FLOAT else kind] * (2 if size == 16 else 1)  # __int128: two


def _gcc_fields(binding, is_union, fields, bit_offset, classes):
    """`classes` with those of each field merged in (GCC's record and union cases)."""
    for field in fields:
        _, ref, position, *bits = field.split(":")
        position = int(position)
        if bits and not is_union:
            start, width = position + bit_offset % 64, int(bits[0])
            for word in range(start // 64, (start + width + 63) // 64 if width else 0):
                classes[word] = _merge(_INTEGER, classes[word])  # C ignores a zero-width one
            continue
        spec = binding.spec(int(ref))
        if spec.startswith("[]"):
            continue  # a flexible array member
        sub = _gcc_classes(binding, spec, (position + bit_offset) % 512)
        if sub is None:
            return None
        first = (position + bit_offset % 64) // 64
        for word, kind in enumerate(sub[:max(0, len(classes) - first)], first):
            classes[word] = _merge(kind, classes[word])
    return classes


def _upper_halves(ctype, base):
    """The eightbytes of `ctype` at byte `base` holding a float or double in their upper half,
    read from its ctypes layout (C's offsets, as lazybind verified them)."""
    if type(ctype) in _RECORD_TYPES:
        return set().union(*[_upper_halves(field[1], base + getattr(ctype, field[0]).offset)
                             for field in ctype._fields_])
    if issubclass(ctype, ctypes.Array):
        size = ctypes.sizeof(ctype._type_)
        return set().union(*[_upper_halves(ctype._type_, base + number * size)
                             for number in range(ctype._length_)])
    if getattr(ctype, "_type_", None) in ("f", "d") and base % 8 + ctypes.sizeof(ctype) > 4:
        return {base // 8}
    return set()


def _spec_size(binding, ref):
    spec = binding.spec(ref)
    if spec[0] == "R":
        return int(binding._record_spec(int(spec[1:]))[1:].split(",")[0])
    if spec[0] == "[":
        length, _, element = spec[1:].partition("]")
        return int(length or 0) * _spec_size(binding, int(element))
    if spec[0] == "U":
        return int(spec[1:].split(",")[0])
    return 8 if spec[0] in "*&" else ctypes.sizeof(binding.ctype(ref))


def _ffi_type(ctype, in_small_record=False):
    """(size, alignment, elements or class) of the ffi_type ctypes makes for `ctype`: a record
    is its _fields_ in order, an array among them a record of its elements when the record is
    at most 16 bytes (CPython's bpo-22273), else a pointer, as is an array of arrays."""
    if type(ctype) in _RECORD_TYPES:
        small = ctypes.sizeof(ctype) <= 16
        return (ctypes.sizeof(ctype), ctypes.alignment(ctype),
                [_ffi_type(field[1], small) for field in ctype._fields_])
    if issubclass(ctype, ctypes.Array):
        if not in_small_record:
            return 8, 8, _INTEGER
        element = (8, 8, _INTEGER) if issubclass(ctype._type_, ctypes.Array) else _ffi_type(
            ctype._type_)
        return ctype._length_ * element[0], element[1], [element] * ctype._length_
    simple = issubclass(ctype, ctypes._SimpleCData)
    return ctypes.sizeof(ctype), ctypes.alignment(ctype), _SIMPLE_CLASSES.get(
        ctype._type_, _INTEGER) if simple else _INTEGER


def _libffi_classes(ffi_type, offset):
    """libffi 3.4's classify_argument (src/x86/ffi64.c) of `ffi_type` at byte `offset` in an
    eightbyte: its classes, or None for MEMORY."""
    size, align, inside = ffi_type
    if not isinstance(inside, list):
        if inside == _X87:
            return [_X87, _X87UP]
        if inside == _INTEGER:
            return [_INTEGER] * ((offset + size + 7) // 8)
        return [_SSE if inside == _FLOAT and offset % 8 else inside]
    if size > 32:
        return None
    words = (size + offset + 7) // 8
    classes = [None] * words
    for element in inside:
        offset = (offset + element[1] - 1) // element[1] * element[1]
        sub = _libffi_classes(element, offset % 8)
        if sub is None:
            return None
        for number, kind in enumerate(sub[:max(0, words - offset // 8)]):
            classes[offset // 8 + number] = _merge(kind, classes[offset // 8 + number])
        offset += element[0]
    if words > 2 or _MEMORY in classes:
        return None  # beyond 16 bytes only vector types travel in registers
    return classes or [None]


def _stdcall_pointer(library, name, signature):
    """The stdcall function `name` of `library` (i686 Windows' WINAPI, a "W" spec): a WinDLL over
    the same handle makes it; the library itself (a CDLL) makes the cdecl ones."""
    stdcall = library.__dict__.get("_lazybind_stdcall")
    if stdcall is None:
        stdcall = library._lazybind_stdcall = ctypes.WinDLL(library._name, handle=library._handle)
    return _function_pointer(stdcall, name, signature)
