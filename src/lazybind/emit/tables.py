"""IR to the packed tables a generated module carries. The format is described once, in the
docstring of lazybind/runtime/__init__.py, beside which runtime/data.py reads what this module writes (and shares its
constants). Must not import lazybind.parse."""

from __future__ import annotations

import base64
import json
import textwrap
import zlib
from dataclasses import dataclass, replace
from typing import Dict, Iterable, Iterator, List, Sequence, Tuple

from .. import ir
from .. import runtime as rt
from ..errors import InputError

_KINDS = {
    ir.Function: rt.KIND_FUNCTION,
    ir.Variable: rt.KIND_VARIABLE,
    ir.Record: rt.KIND_RECORD,
    ir.Enum: rt.KIND_ENUM,
    ir.Typedef: rt.KIND_TYPEDEF,
    ir.Constant: rt.KIND_CONSTANT,
    ir.Alias: rt.KIND_ALIAS,
    ir.MacroCall: rt.KIND_MACRO_CALL,
}
# a function spec's tag: F fixed parameters, V variadic (both the target's C convention), W fixed
# parameters called stdcall (i686 Windows' WINAPI: WinDLL, WINFUNCTYPE)
_FUNCTION_TAGS = {(False, ""): "F", (True, ""): "V", (False, "stdcall"): "W"}
_PREFIX = "#:"
_BASE64_LINE = 76
_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"
# the share of the names section that is lines, not the spaces that put each at its bucket's
# place: the rest (a tenth) costs ssl.h's module 2%; a lookup there scans 171 bytes on average
# and at most 880 (its window), where a bucket table cost each lookup a read and a parse
_FILL = 0.9


@dataclass(frozen=True)
class Tables:
    """The data sections, each exactly as the module holds it: `#:`-prefixed lines."""

    count: int  # declarations
    buckets: Tuple[int, int]  # how many, and the bytes between two buckets' places in `names`
    window: int  # the bytes from a bucket's place that a lookup searches
    packing: str  # `DIGITS,INDEX_BITS` of a names line's number
    names: str  # `NAME NUMBER` lines, each at or past the place of its hash bucket
    lines: str  # fixed width: where each declaration's line is in `names`, by index
    specs: str
    locations: str  # fixed width: file << 20 | line, by index
    files: str
    libraries: str
    meta: str  # JSON
    docs: str = ""  # base64 of zlib-compressed JSON {entry index: comment}; with --docstrings
    target: str = ""  # the --target triple, when one was given
    compiled: str = ""  # the extension's name and digest, with --compiled

    def sections(self) -> Dict[str, str]:
        sections = {"meta": self.meta, "libraries": self.libraries, "names": self.names,
                    "lines": self.lines, "specs": self.specs, "files": self.files,
                    "locations": self.locations}
        if self.docs:
            sections["docs"] = self.docs
        if self.target:
            sections["target"] = self.target
        if self.compiled:
            sections["compiled"] = self.compiled
        return sections

    def in_memory(self) -> "rt.Data":
        """The sections as the runtime reads them from a module file, here from memory: for
        building the module's types at generation without writing it."""
        text, directory = laid_out(list(self.sections().items()), 0, 1)
        return rt.Data(None, f"{directory} {self.numbers()}", text.encode("utf-8"))

    def numbers(self, width: int = 0) -> str:
        """The directory's numbers that are no section's: `count:N buckets:B,S window:N
        packing:D,I`."""
        digits, index_bits = map(int, self.packing.split(","))
        count, spacing = self.buckets
        return (f"count:{self.count:0{width}d} buckets:{count:0{width}d},{spacing:0{width}d} "
                f"window:{self.window:0{width}d} packing:{digits:0{width}d},{index_bits:0{width}d}")

    def meta_dict(self) -> Dict[str, object]:
        return json.loads(self.meta[len(_PREFIX):])

    def with_extension(self, name: str, digest: str) -> "Tables":
        """The tables of a module whose compiled fast path is the extension `name`."""
        return replace(self, compiled=comment_lines([f"{name}\t{digest}"]))

    def with_meta(self, **values: object) -> "Tables":
        return replace(self, meta=_meta_section({**self.meta_dict(), **values}))


def laid_out(sections, offset: int, line: int, width: int = 0):
    """(text, directory) of `sections` [(name, text)] written from byte `offset`, line `line` of
    a file: each `#@name` then its text; the directory gives each section's body as
    `name:start,end,first line` (numbers zero-padded to `width` digits)."""
    entries, body = [], []
    for name, text in sections:
        header = f"#@{name}\n"
        start = offset + len(header.encode("utf-8"))
        size = len(text.encode("utf-8"))
        entries.append(f"{name}:{start:0{width}d},{start + size:0{width}d},{line + 1:0{width}d}")
        body.append(header + text)
        offset, line = start + size, line + 1 + text.count("\n")
    return "".join(body), " ".join(entries)


def comment_lines(lines: Iterable[str]) -> str:
    """A section's text: each line behind the `#:` prefix. Offsets into names and specs count
    these prefixes, so the runtime reads the module's text as it is, without copying it."""
    return "".join(f"#:{line}\n" for line in lines)


def comment_safe(text: str) -> str:
    """Text that cannot end a comment line or make the file unreadable."""
    if any(c in text for c in "\r\n\0") or not text.isprintable():
        return text.encode("unicode_escape").decode("ascii")
    return text


def _meta_section(meta: Dict[str, object]) -> str:
    return comment_lines([json.dumps(meta, sort_keys=True, ensure_ascii=True)])


def _wrapped(text: str) -> str:
    """Base64 text as a section of lines of the usual base64 width."""
    return comment_lines(textwrap.wrap(text, _BASE64_LINE))


def _docs_section(declarations: Sequence[ir.Declaration]) -> str:
    """The functions' header comments, compressed: sqlite3.h's 268 KB of them take 100 KB."""
    comments = {str(index): declaration.comment for index, declaration in enumerate(declarations)
                if isinstance(declaration, ir.Function) and declaration.comment}
    if not comments:
        return ""
    text = json.dumps(comments, sort_keys=True, ensure_ascii=False).encode("utf-8")
    return _wrapped(base64.b64encode(zlib.compress(text, 9)).decode("ascii"))


def base36(value: int, width: int = 0) -> str:
    """`value` in base 36 (what int(text, 36) reads), zero-padded to `width` digits."""
    if not width and value < 1679616:  # most: up to four digits, unpadded (36 ** 4)
        if value < 1296:
            return _UNPADDED[value]
        high, low = divmod(value, 1296)
        return _UNPADDED[high] + _PAIRS[low]
    if width == 6 and 0 <= value < 2176782336:  # the fixed-width sections' offsets (36 ** 6)
        high, low = divmod(value, 1679616)
        return _PAIRS[high] + _PAIRS[low // 1296] + _PAIRS[low % 1296]
    digits = ""
    while value >= 1296:  # two digits a step: a module's tables hold hundreds of thousands
        value, pair = divmod(value, 1296)
        digits = _PAIRS[pair] + digits
    digits = (_PAIRS[value].lstrip("0") + digits) or "0"
    if width and len(digits) > width:
        raise InputError("too many declarations for one module; narrow them with --only/--exclude")
    return digits.rjust(width, "0")


_PAIRS = [a + b for a in _DIGITS for b in _DIGITS]
_UNPADDED = [pair.lstrip("0") or "0" for pair in _PAIRS]


def fixed_width(values: Sequence[int], width: int) -> str:
    """A fixed-width section: rt.FIXED_PER_LINE base-36 values a line (Data.fixed reads one)."""
    per_line = rt.FIXED_PER_LINE
    return comment_lines("".join(base36(v, width) for v in values[at:at + per_line])
                         for at in range(0, len(values), per_line))


def bucket_of(name: str, buckets: int) -> int:
    """The hash bucket of a name, as lazybind.runtime's `find` computes it: of its line's start,
    the bytes `find` searches for."""
    return int.from_bytes(f"{_PREFIX}{name} ".encode("utf-8", "surrogatepass"), "little") % buckets


def _prime_at_least(number: int) -> int:
    """The bucket count for about `number` buckets: a prime modulo which 256 has a long period
    (64 or more; half the prime's size for small ones). A name's hash is its line's bytes read
    as one little-endian number, and every line starts with the same "#:": modulo a power of two
    those bytes would be all that counts, and modulo a prime such as 257 (256 = -1) the hash is
    a sum of bytes."""
    candidate = max(2, number)
    while not _is_prime(candidate) or _period_of_256(candidate) < min(64, (candidate - 1) // 2):
        candidate += 1
    return candidate


def _is_prime(number: int) -> bool:
    return number > 1 and all(number % divisor for divisor in range(2, int(number ** 0.5) + 1))


def _period_of_256(prime: int) -> int:
    """The least k of 1 to 64 with 256**k = 1 modulo `prime`, else 65."""
    return next((k for k in range(1, 65) if pow(256, k, prime) == 1), 65)


def _numbers(kind_refs: Sequence[Tuple[int, int]]) -> Tuple[List[str], str]:
    """Each declaration's number in its names line (the runtime's `find` unpacks it), all of
    the same width; and the packing: `DIGITS,INDEX_BITS`."""
    index_bits = max(1, (len(kind_refs) - 1).bit_length())
    ref_shift = index_bits + rt.KIND_BITS
    numbers = [ref << ref_shift | kind << index_bits | index
               for index, (kind, ref) in enumerate(kind_refs)]
    digits = len(base36(max(numbers, default=0)))
    return [base36(number, digits) for number in numbers], f"{digits},{index_bits}"


def _names_sections(names: Sequence[str], numbers: Sequence[str]):
    """(names, lines, buckets, window): each name's line at or past its hash bucket's place
    (bucket b's is b * S bytes into the section: spaces before a line's end, or before the
    first line, take the section there), the offset of each name's line by index, the bucket
    count B and spacing S, and the most bytes from a bucket's place to the end of its last line.
    A lookup goes to its bucket's place with no table to read, and searches the window."""
    lines = [f"{_PREFIX}{name} {number}" for name, number in zip(names, numbers)]
    sizes = [len(line.encode("utf-8", "surrogatepass")) + 1 for line in lines]  # (and "\n")
    buckets = _prime_at_least(len(names))
    spacing = max(1, round(sum(sizes) / buckets / _FILL))
    bucket_by_index = [bucket_of(name, buckets) for name in names]
    order = sorted(range(len(names)), key=lambda i: (bucket_by_index[i], i))
    text, line_at = [], [0] * len(names)
    offset = window = 0
    for index in order:
        place = bucket_by_index[index] * spacing
        if offset < place:  # spaces before the previous line's end, or before the first line
            padding = " " * (place - offset)
            text.append(text.pop()[:-1] + padding + "\n" if text else padding)
            offset = place
        line_at[index] = offset
        text.append(lines[index] + "\n")
        offset += sizes[index]
        window = max(window, offset - place)
    return "".join(text), fixed_width(line_at, rt.OFFSET_WIDTH), (buckets, spacing), window


class _Specs:
    """The interned spec blob: the same text is stored once and referred to by its offset."""

    def __init__(self) -> None:
        self._offsets: Dict[str, int] = {}
        self._parts: List[str] = []
        self._size = len(_PREFIX)

    def intern(self, spec: str) -> int:
        offset = self._offsets.get(spec)
        if offset is None:
            offset = self._offsets[spec] = self._size
            self._parts.append(spec)
            self._size += len(spec.encode("utf-8", "surrogatepass")) + 1 + len(_PREFIX)
        return offset

    def text(self) -> str:
        return comment_lines(self._parts)


class _Encoder:
    def __init__(self, declarations: Sequence[ir.Declaration]) -> None:
        self.index = {d.name: i for i, d in enumerate(declarations)}
        # the X spec (the error saying why) of each typedef, enum and variable refused at use:
        # what names such a type is refused
        self.refused = {
            d.name: "X" + f"{d.name} ({d.location.file}:{d.location.line}): {d.refused}".encode().hex()
            for d in declarations if isinstance(d, ir.SIZED) and d.refused}
        self.specs = _Specs()
        self._type_refs: Dict[ir.CType, int] = {}

    def type_ref(self, ctype: ir.CType) -> int:
        ref = self._type_refs.get(ctype)
        if ref is None:
            ref = self._type_refs[ctype] = self.specs.intern(self._type_spec(ctype))
        return ref

    def _type_spec(self, ctype: ir.CType) -> str:
        if isinstance(ctype, ir.Primitive):
            return "p" + ctype.name
        if isinstance(ctype, (ir.TypedefRef, ir.EnumRef)) and ctype.name in self.refused:
            return self.refused[ctype.name]
        if isinstance(ctype, ir.TypedefRef):
            return self._type_spec(ctype.target)
        if isinstance(ctype, ir.EnumRef):
            return "p" + ctype.underlying.name
        if isinstance(ctype, ir.Pointer):
            return ("&" if ctype.pointee_const else "*") + str(self.type_ref(ctype.pointee))
        if isinstance(ctype, ir.Array):
            length = "" if ctype.length is None else str(ctype.length)
            return f"[{length}]{self.type_ref(ctype.element)}"
        if isinstance(ctype, ir.FunctionType):
            tag = _FUNCTION_TAGS.get((ctype.variadic, ctype.convention))
            if tag is None:  # a convention ctypes cannot call: a pointer to it keeps its address
                return f"U0,1,{(ctype.convention + ' function').encode().hex()}"
            params = ",".join(str(self.type_ref(p)) for p in ctype.params)
            return f"{tag}{self.type_ref(ctype.result)}:{params}"
        if isinstance(ctype, ir.RecordRef):
            return f"R{self.index[ctype.name]}"
        assert isinstance(ctype, ir.Unsupported)
        return f"U{ctype.size},{ctype.align},{ctype.spelling.encode().hex()}"

    def ref(self, declaration: ir.Declaration) -> int:
        if isinstance(declaration, ir.SIZED) and declaration.refused:
            return self.specs.intern(self.refused[declaration.name])
        if isinstance(declaration, (ir.Function, ir.Variable)):
            return self.type_ref(declaration.type)
        if isinstance(declaration, ir.Typedef):
            if declaration.align:
                return self.specs.intern(f"A{declaration.align}:{self.type_ref(declaration.target)}")
            return self.type_ref(declaration.target)
        if isinstance(declaration, ir.Enum):
            return self.type_ref(declaration.underlying)
        if isinstance(declaration, ir.Constant):
            return self.specs.intern(_value_spec(declaration.value, declaration.ctype))
        if isinstance(declaration, ir.Alias):
            return self.index[declaration.target]
        if isinstance(declaration, ir.MacroCall):
            head = f"C{self.index[declaration.target]}:{len(declaration.params)}"
            if declaration.result is not None:
                head += f":{self.type_ref(declaration.result)}"
            return self.specs.intern(head + "".join(self._macro_arguments(declaration.arguments)))
        return self.specs.intern(self._record_spec(declaration))

    def _macro_arguments(self, arguments) -> Iterator[str]:
        """A macro call's arguments in prefix order: a nested call, then its own arguments."""
        for kind, value in arguments:
            if kind == "call":
                yield f";{'k' if value.cast else 'c'}{self.index[value.target]}/{len(value.arguments)}"
                yield from self._macro_arguments(value.arguments)
            elif kind == "value":
                yield f";v{_value_spec(value, ir.VOID)}"
            else:
                yield f";{'P' if kind == 'cast' else 'p'}{value}"

    def _record_spec(self, record: ir.Record) -> str:
        kind = "N" if record.kind == "union" else "S"
        if not record.complete:
            return kind + "?"
        if record.refused:
            return kind + "!" + record.refused.encode().hex()
        parts = [f"{kind}{record.size},{record.align}"]
        for field in record.fields:
            if field.name and not field.name.isidentifier():
                raise InputError(f"field name {field.name!r} of {record.name} is not an identifier")
            text = f"{field.name}:{self.type_ref(field.type)}:{field.offset_bits}"
            if field.bit_width is not None:
                text += f":{field.bit_width}"
            parts.append(text)
        return ";".join(parts)


def _value_spec(value: ir.ConstantValue, ctype: ir.CType) -> str:
    if value is None:
        return "n"
    if isinstance(value, int) and isinstance(ctype, ir.Pointer):
        return f"a{value}"  # an address: `check` compares it as a pointer, not as an integer
    if isinstance(value, bool):
        return f"i{int(value)}"
    if isinstance(value, int):
        return f"i{value}"
    if isinstance(value, float):
        return f"f{value!r}"
    if isinstance(value, str):  # a wide string: its text as UTF-8 (lone surrogates kept)
        return "w" + value.encode("utf-8", "surrogatepass").hex()
    return "s" + bytes(value).hex()


def encode(
    declarations: ir.Declarations,
    libraries: Sequence[Dict[str, str]],
    version: str,
    compile_options: Dict[str, object],
    docstrings: bool = False,
) -> Tables:
    decls = declarations.declarations
    for declaration in decls:
        _check_name(declaration)
    encoder = _Encoder(decls)
    numbers, packing = _numbers([(_KINDS[type(d)], encoder.ref(d)) for d in decls])
    names, lines, buckets, window = _names_sections([d.name for d in decls], numbers)
    files = sorted({d.location.file for d in decls})
    file_index = {f: i for i, f in enumerate(files)}
    locations = [
        file_index[d.location.file] << rt.LINE_BITS | min(d.location.line, (1 << rt.LINE_BITS) - 1)
        for d in decls
    ]
    meta = {
        "version": version,
        "libraries": list(libraries),
        "headers": [h.name for h in declarations.headers],
        "compile": compile_options,
        "layouts": declarations.layouts,
    }
    return Tables(
        count=len(decls),
        buckets=buckets,
        window=window,
        packing=packing,
        names=names,
        lines=lines,
        specs=encoder.specs.text(),
        locations=fixed_width(locations, rt.LOCATION_WIDTH),
        files=comment_lines(comment_safe(f) for f in files),
        libraries=comment_lines(f"{spec['name']}\t{spec.get('soname') or ''}" for spec in libraries),
        meta=_meta_section(meta),
        docs=_docs_section(decls) if docstrings else "",
        target=comment_lines([str(compile_options["target"])]) if compile_options.get("target") else "",
    )


def _check_name(declaration: ir.Declaration) -> None:
    name = declaration.name
    if not name or len(name) >= 1024 or comment_safe(name) != name or " " in name:
        raise InputError(f"{name!r} cannot be a module attribute name", declaration.location.file,
                         declaration.location.line)
