"""lazybind runtime, records: a struct or union's ctypes class laid out as the C compiler lays it
out (offsets, size, bit positions and alignment), or refused with a LayoutError naming why; the
alignment of typedefs that have their own; storage for types ctypes lacks. Runs in the runtime's
shared namespace (see core.py), loaded the first time a record is completed. Standard library only.
"""

import ctypes
import sys

_BITFIELD_STORAGE = {"pchar": ctypes.c_byte, "pbool": ctypes.c_ubyte}
_ALIGN_ATTRIBUTE = sys.version_info >= (3, 13)  # ctypes reads a record's _align_ from 3.13 on
# a zero-length array of one of these raises a record's alignment to the type's (any Python)
_ALIGNED_TYPES = {ctypes.alignment(t): t for t in (
    ctypes.c_longdouble, ctypes.c_uint64, ctypes.c_uint32, ctypes.c_uint16, ctypes.c_uint8)}


class _Records:
    """Binding's methods for records (mixed into Binding when this part loads)."""

    def record_class(self, index):
        """The ctypes class of a record, laid out as the compiler does, or a LayoutError naming
        it (every time it is asked for) when ctypes cannot express that layout."""
        cls = self._record_shell(index)
        if index not in self._built:
            self._complete(index, cls)
        return cls

    def _record_spec(self, index):
        return self.spec(self._declaration(index)[1])

    def _complete(self, index, cls):
        self._built.add(index)
        layout = self._record_spec(index)[1:].split(";")
        if layout[0] == "?":
            return  # opaque: usable through pointers only
        try:
            if layout[0][:1] == "!":
                raise LayoutError(bytes.fromhex(layout[0][1:]).decode("utf-8"))
            size, align = (int(v) for v in layout[0].split(","))
            if align > 16 and not _ALIGN_ATTRIBUTE:
                raise LayoutError("aligned to %d bytes: ctypes cannot express alignment above 16 "
                                  "before Python 3.13" % align)
            fields = [self._field(text) for text in layout[1:]]
            inexact = _lay_out(cls, fields, size, align, issubclass(cls, ctypes.Union))
            if inexact:
                self._inexact[("record", index)] = inexact
        except (LayoutError, UnsupportedTypeError) as error:
            del self._types[("record", index)]
            broken = self._types[("refused", index)] = LayoutError(
                "%s (%s): %s" % (self.name_at(index), self.location(index), error))
            raise broken from None

    def _complete_pending(self):
        """Lay out the records that pointers made shells for, once nothing is half-built."""
        while self._pending:
            index = self._pending.pop()
            if index not in self._built:
                try:
                    self.record_class(index)
                except (LayoutError, UnsupportedTypeError):
                    pass  # refused: using it by name says why; the pointer keeps its address

    def _field(self, text):
        parts = text.split(":")
        name, ref, offset = parts[0], int(parts[1]), int(parts[2])
        bits = int(parts[3]) if len(parts) > 3 else None
        spec = self.spec(ref)
        if spec[0] in "FVW":
            return name, ctypes.c_void_p, offset, bits
        if bits is not None and spec in _BITFIELD_STORAGE:
            # ctypes refuses c_char bitfields and ignores the bit position of c_bool ones
            return name, _BITFIELD_STORAGE[spec], offset, bits
        try:
            ctype = self.ctype(ref)
        except UnsupportedTypeError:
            if spec[0] not in "*&":
                raise
            ctype = ctypes.c_void_p  # a pointer to something ctypes cannot call: keep the address
        return name, ctype, offset, bits

    def _aligned(self, ref, spec):
        """A typedef's own alignment: a record becomes a subclass aligned as C aligns the typedef;
        a scalar cannot be (ctypes fixes their alignment), so it stays itself, noted as inexact."""
        align, _, target_ref = spec[1:].partition(":")
        align, target = int(align), self.ctype(int(target_ref))
        if target is None or ctypes.alignment(target) == align:
            return target
        if issubclass(target, (ctypes.Structure, ctypes.Union)) and ctypes.sizeof(target) % align == 0:
            raised = _raise_alignment({"_fields_": []}, None, align)
            if raised is not None:
                name = "%s_aligned%d" % (target.__name__, align)  # typedefs may share it
                return type(name, (target,), dict(raised, __module__=self._module_name))
        self._inexact[("aligned", ref)] = "aligned to %d bytes in C, %d in ctypes: %s" % (
            align, ctypes.alignment(target), "ctypes cannot align a %s otherwise" % target.__name__)
        return target

    @staticmethod
    def _unsupported_type(spelling, size, align):
        """Storage of the right size and alignment for a type ctypes lacks (a vector, _Complex):
        fine inside a record, refused by value (the marker `_lazybind_unsupported_` says so)."""
        attributes = {"_fields_": [("_storage", ctypes.c_ubyte * size)]}
        if align > 1:
            attributes = _raise_alignment(attributes, None, align) or attributes
        cls = type(spelling, (ctypes.Structure,), {"_spelling_": spelling, "_lazybind_unsupported_": True})
        _apply(cls, attributes)
        return cls


def _lay_out(cls, fields, size, align, is_union):
    """Give `cls` the compiler's layout: every field at C's offset, C's size and C's alignment
    (`ctypes.alignment`, which decides where a user's own Structure puts it). The layouts tried,
    first match wins: ctypes' natural one, then the same packed to C's alignment, then every field
    placed explicitly with padding between, packed to C's alignment and then to one byte. An
    alignment below C's is raised (`_align_` from Python 3.13, else a zero-length member). Return
    "" or, when only the alignment cannot be C's on this Python, why (the layout is kept)."""
    fields, anonymous = _named_fields(fields)
    if anonymous:
        cls._anonymous_ = anonymous
    has_bitfields = any(bits is not None for _, _, _, bits in fields)
    if not has_bitfields and _natural_alignment(fields, size, is_union) == align:
        cls._fields_ = [(n, t) for n, t, _, _ in fields] + _tail_padding(size, is_union, fields)
        _verify(cls, fields, size)
        return ""
    short, error = None, None
    for declared, pack in _layouts(fields, size, align, is_union, has_bitfields):
        try:
            attributes = _fitted(cls, declared(), pack, fields, size, align)
        except LayoutError as problem:
            error = error or problem
            continue
        if isinstance(attributes, dict):
            return _apply(cls, attributes)
        short = short or attributes
    if short is None:
        raise error
    return _apply(cls, short[0]) or short[1]


def _named_fields(fields):
    """The fields with a name for each anonymous member, and those names."""
    anonymous, named = [], []
    for number, (name, ctype, offset, bits) in enumerate(fields):
        if not name:
            name = "_anonymous%d" % number
            anonymous.append(name)
        named.append((name, ctype, offset, bits))
    return named, anonymous


def _layouts(fields, size, align, is_union, has_bitfields):
    """(declared fields, made on demand; _pack_) of each layout to try, best first."""
    def natural():
        if has_bitfields:
            declared = [(n, t, b) if b is not None else (n, t) for n, t, _, b in fields]
        else:
            declared = [(n, t) for n, t, _, _ in fields]
        return declared + _tail_padding(size, is_union, fields)

    def explicit():
        return _explicit_fields(fields, size, is_union)

    yield natural, None
    yield natural, align
    if align > 1:
        yield explicit, align
    yield explicit, 1


def _fitted(cls, declared, pack, fields, size, align):
    """The class attributes giving `declared` C's offsets, size and alignment; or (those
    attributes, why the alignment falls short) when only the alignment cannot be had; or None."""
    attributes = {"_fields_": declared} if pack is None else {"_pack_": pack, "_fields_": declared}
    actual = ctypes.alignment(_scratch(cls, attributes, fields, size))
    if actual == align:
        return attributes
    if actual > align:
        return None
    if size % align:  # an aligned typedef of a record does not pad it (glibc's __pthread_unwind_buf_t)
        return attributes, "aligned to %d bytes in C, %d in ctypes: C's size, %d, is no multiple of " \
            "its alignment, which no ctypes type can be" % (align, actual, size)
    raised = _raise_alignment(attributes, pack, align)
    if raised is not None and ctypes.alignment(_scratch(cls, raised, fields, size)) == align:
        return raised
    return attributes, "aligned to %d bytes in C, %d in ctypes: %s" % (align, actual, (
        "a packed member in a record aligned above it needs Python 3.13's _align_"
        if pack is not None else "no ctypes type is aligned to %d bytes" % align))


def _raise_alignment(attributes, pack, align):
    """`attributes` raised to `align`: by `_align_` where ctypes reads it, else by a zero-length
    member as aligned as that (which a _pack_ below it would cap); None when neither can."""
    if _ALIGN_ATTRIBUTE:
        return dict(attributes, _align_=align)
    member = _ALIGNED_TYPES.get(align)
    if member is None or (pack is not None and pack < align):
        return None
    return dict(attributes, _fields_=[("_alignment_", member * 0)] + attributes["_fields_"])


def _scratch(cls, attributes, fields, size):
    """A class laid out by `attributes`, or LayoutError when a field is not at C's offset or
    the size differs: a class's _fields_ can be set only once, so layouts are tried on these."""
    scratch = type("_scratch", cls.__bases__, {k: v for k, v in attributes.items() if k != "_fields_"})
    scratch._fields_ = attributes["_fields_"]
    _verify(scratch, fields, size)
    return scratch


def _apply(cls, attributes):
    for key, value in attributes.items():
        if key != "_fields_":
            setattr(cls, key, value)
    cls._fields_ = attributes["_fields_"]
    return ""


def _natural_alignment(fields, size, is_union):
    """ctypes' alignment for `fields` laid out naturally, or 0 when that layout is not C's."""
    position, widest = 0, 1
    for _, ctype, offset, _ in fields:
        align = ctypes.alignment(ctype)
        widest = max(widest, align)
        expected = 0 if is_union else (position + align - 1) // align * align
        if expected * 8 != offset:
            return 0
        position = max(position, expected + ctypes.sizeof(ctype))
    return widest if (position + widest - 1) // widest * widest == size else 0


def _tail_padding(size, is_union, fields):
    if not fields or not is_union:
        return []
    widest = max(ctypes.sizeof(t) for _, t, _, _ in fields)
    return [("_padding", ctypes.c_ubyte * size)] if widest < size else []


def _explicit_fields(fields, size, is_union):
    """Every field at its byte offset, padding between (the class is packed). Bitfields sharing
    a storage unit are declared with an integer type as wide as that unit needs, so ctypes puts
    them, and an ordinary member following in the same unit, where C does (`struct ip`)."""
    if is_union:
        return [(n, t) if b is None else (n, t, b) for n, t, _, b in fields] + [
            ("_padding", ctypes.c_ubyte * size)]
    declared, position = [], 0
    groups = list(_storage_groups(fields))
    for number, group in enumerate(groups):
        name, ctype, offset, bits = group[0]
        gap = offset // 8 - position
        if gap < 0:
            raise LayoutError("field %r overlaps the one before it" % name)
        if gap:
            declared.append(("_padding%d" % len(declared), ctypes.c_ubyte * gap))
        if bits is None:
            declared.append((name, ctype))
            position = offset // 8 + ctypes.sizeof(ctype)
        else:
            limit = groups[number + 1][0][2] // 8 if number + 1 < len(groups) else size
            position = _bitfield_unit(group, declared, limit)
    if size > position:
        declared.append(("_padding%d" % len(declared), ctypes.c_ubyte * (size - position)))
    return declared


def _storage_groups(fields):
    """Runs of fields that share storage: an ordinary field alone, or consecutive bitfields
    within 64 bits of the byte the first one starts in."""
    group = []
    for field in fields:
        _, _, offset, bits = field
        if group and (bits is None or group[0][3] is None
                      or offset + bits - group[0][2] // 8 * 8 > 64):
            yield group
            group = []
        group.append(field)
    if group:
        yield group


_UNIT_INTS = {1: (ctypes.c_uint8, ctypes.c_int8), 2: (ctypes.c_uint16, ctypes.c_int16),
              4: (ctypes.c_uint32, ctypes.c_int32), 8: (ctypes.c_uint64, ctypes.c_int64)}


def _bitfield_unit(group, declared, limit):
    """Declare `group` in the narrowest integer unit that holds it and ends by byte `limit` (the
    next member). Where no unit starting at its first byte does, the unit starts earlier and
    takes in the integer members or padding declared just before, as C's storage unit does
    (`__u8 clear_s; __u32 pad : 24;`). Return the byte where the unit ends."""
    start, end = group[0][2] // 8 * 8, group[-1][2] + group[-1][3]
    taken = []
    while True:
        unit = next((n for n in (1, 2, 4, 8) if end <= start + n * 8), None)
        if unit is not None and start // 8 + unit <= limit:
            break
        if unit is None or not declared or not _can_join_unit(declared[-1]):
            raise LayoutError("bitfield %r: ctypes cannot share its storage unit with the "
                              "members before it" % group[0][0])
        taken.insert(0, declared.pop())
        start -= ctypes.sizeof(taken[0][1]) * 8
    cursor = start
    for name, ctype in taken:
        width = ctypes.sizeof(ctype) * 8
        if name.startswith("_padding"):
            declared.append(("_padding%d" % len(declared), _UNIT_INTS[unit][0], width))
        else:
            declared.append((name, _UNIT_INTS[unit][_is_signed(ctype)], width))
        cursor += width
    for name, ctype, offset, bits in group:
        if offset > cursor:
            declared.append(("_padding%d" % len(declared), _UNIT_INTS[unit][0], offset - cursor))
        declared.append((name, _UNIT_INTS[unit][_is_signed(ctype)], bits))
        cursor = offset + bits
    return start // 8 + unit


def _can_join_unit(entry):
    """Padding, or an integer member, whose value a bitfield of its full width keeps."""
    if len(entry) != 2:
        return False
    name, ctype = entry
    return name.startswith("_padding") or getattr(ctype, "_type_", None) in tuple("bBhHiIlLqQ")


def _is_signed(ctype):
    return getattr(ctype, "_type_", "") in ("b", "h", "i", "l", "q")


def _verify(cls, fields, size):
    if ctypes.sizeof(cls) != size:
        raise LayoutError("C size %d, ctypes size %d" % (size, ctypes.sizeof(cls)))
    bitfields = _declared_bitfields(cls)  # also members taken into a bitfield's storage unit
    for name, _, offset, bits in fields:
        descriptor = getattr(cls, name)
        if descriptor.offset < 0:  # ctypes continues a struct's storage unit inside a union
            raise LayoutError("field %s: ctypes places it at byte offset %d" % (name, descriptor.offset))
        actual = descriptor.offset * 8
        if name in bitfields:
            actual += _bit_offset(descriptor)
        if actual != offset:
            raise LayoutError("field %s: C offset %d bits, ctypes offset %d bits" % (name, offset, actual))


def _declared_bitfields(cls):
    """Names declared as bitfields in `cls` (through anonymous members): before Python 3.13 a
    field descriptor cannot tell, its `size` of a bitfield packing (bit size << 16) | bit offset."""
    names = set()
    for entry in cls.__dict__.get("_fields_", ()):
        if len(entry) == 3:
            names.add(entry[0])
        elif entry[0] in cls.__dict__.get("_anonymous_", ()):
            names |= _declared_bitfields(entry[1])
    return names


def _bit_size(descriptor):
    bit_size = getattr(descriptor, "bit_size", None)
    return bit_size if bit_size is not None else descriptor.size >> 16


def _bit_offset(descriptor):
    bit_offset = getattr(descriptor, "bit_offset", None)
    if bit_offset is not None:
        return bit_offset
    return descriptor.size & 0xFFFF  # before 3.13, size packs (bit size << 16) | bit offset


_mix_in(Binding, _Records)
