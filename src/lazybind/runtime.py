"""lazybind runtime: what a generated module runs on first use. Standard library only.

A generated module carries this file's source in its data section (comment lines after the
code), together with its tables; the module's tiny `__getattr__` compiles it on the first
attribute access, so importing the module builds nothing. This file is also importable as
`lazybind.runtime` for tests and tools.

The tables (written by lazybind.emit.tables, read here) -- the only place they are described.
Each is a data section: a `#@<name>` line, then its lines, each behind a `#:` prefix. Offsets into
names and specs count those prefixes: the runtime slices the module's text as it is.

* names    every exposed C name, one per line, sorted by code point.
* entries  one 64-bit integer per name, in the same order (base64 of little-endian uint64;
           the decoder skips the prefixes and line ends):
           kind (bits 0-3) | name start (bits 4-27) | name length (bits 28-37) | ref (bits 38-63).
           The position of an entry is its index in the state table (0 unresolved, 1 resolved,
           2 missing: a symbol looked up once and absent); `ref` is the offset of a spec, except
           for an alias (a macro naming a function or variable), whose ref is the entry index of
           the declaration it names.
* specs    one spec per line, interned (a repeated type is one spec):
    types      p<primitive>        a PRIMITIVES name of lazybind.ir
               *<ref> / &<ref>     pointer to a type (& when the pointee is const)
               [<n>]<ref>, []<ref> array of n elements, or of unknown length
               F<ref>:<ref>,...    function: result, then parameters; V... when variadic
               R<index>            the record whose entry is at <index>
               U<size>,<align>,<hex of spelling>   a type ctypes cannot express
               A<align>:<ref>      a typedef with an alignment of its own (an aligned attribute)
    records    S or N (struct, union) then <size>,<align> or ? (opaque), then for each field
               ;<name>:<type ref>:<offset in bits>[:<bit width>]  (an anonymous member has no name);
               or S!/N! then the hex of why the record is refused (e.g. the compiler disagreed)
    values     i<int>  f<float repr>  s<hex of the bytes>  n (a null pointer constant)
               a<int> (a pointer constant at a fixed address: MAP_FAILED, SIG_IGN; an int)
    macro calls C<entry index of the function>:<number of parameters>[:<type ref of the pointer
               type the macro casts the result to>], then each argument of the call, in prefix
               order: ;p<parameter number>, ;P<parameter number> (cast to the parameter type it
               is passed as), ;v<value>, or ;c<entry index>/<number of arguments> (;k...: cast)
               followed by that call's own arguments (a function-like macro calling a function)
* locations one 32-bit integer per entry: file index << 20 | line (base64, little-endian).
* files    the header names the locations refer to, one per line.
* libraries one per line: the name given to --library, a tab, the soname found at generation.
* target   (with --target) the triple: on a machine of another architecture only the constants
           are usable, everything else raises UnsupportedTypeError.
* compiled (with --compiled) one line: the name of the module's extension (the compiled fast path,
           lazybind.emit.extension), a tab, the digest the extension must carry to be used.
* docs     (with --docstrings) base64 of zlib-compressed JSON {entry index: the function's header
           comment}, decoded the first time a function's __doc__ is asked for.
* meta     one line of JSON: generator version, libraries, headers, the options to compile them
           again, and `layouts`: which C compiler confirmed the record layouts at generation (or
           why none did). Read only when `__lazybind__` is asked about them.
"""

import base64
import bisect
import ctypes
import os
import sys
import _thread
import _weakref
from array import array

(KIND_FUNCTION, KIND_VARIABLE, KIND_RECORD, KIND_ENUM, KIND_TYPEDEF, KIND_CONSTANT, KIND_ALIAS,
 KIND_MACRO_CALL) = range(8)
NAME_START_BITS, NAME_LENGTH_BITS, REF_BITS = 24, 10, 26
UNRESOLVED, RESOLVED, MISSING = 0, 1, 2
DATA_SUFFIX = ".lazybind"  # with --data-file: OUT.lazybind holds the loader and every section
_SAMPLE_STEP = 32
_NAME_START_MASK, _REF_SHIFT = (1 << NAME_START_BITS) - 1, 4 + NAME_START_BITS + NAME_LENGTH_BITS
_BITFIELD_STORAGE = {"pchar": ctypes.c_byte, "pbool": ctypes.c_ubyte}

_PRIMITIVE_CTYPES = {
    "bool": ctypes.c_bool, "char": ctypes.c_char, "schar": ctypes.c_byte, "uchar": ctypes.c_ubyte,
    "short": ctypes.c_short, "ushort": ctypes.c_ushort, "int": ctypes.c_int, "uint": ctypes.c_uint,
    "long": ctypes.c_long, "ulong": ctypes.c_ulong, "longlong": ctypes.c_longlong,
    "ulonglong": ctypes.c_ulonglong, "float": ctypes.c_float, "double": ctypes.c_double,
    "longdouble": ctypes.c_longdouble, "wchar": ctypes.c_wchar, "char16": ctypes.c_uint16,
    "char32": ctypes.c_uint32,
}
_BYTE_POINTEES = ("p" + "uchar", "p" + "schar", "p" + "void")
_ALIGN_ATTRIBUTE = sys.version_info >= (3, 13)  # ctypes reads a record's _align_ from 3.13 on
# a zero-length array of one of these raises a record's alignment to the type's (any Python)
_ALIGNED_TYPES = {ctypes.alignment(t): t for t in (
    ctypes.c_longdouble, ctypes.c_uint64, ctypes.c_uint32, ctypes.c_uint16, ctypes.c_uint8)}


def pack_entry(kind, name_start, name_length, ref):
    return kind | name_start << 4 | name_length << (4 + NAME_START_BITS) | ref << (
        4 + NAME_START_BITS + NAME_LENGTH_BITS)


def unpack_entry(packed):
    kind = packed & 0xF
    start = (packed >> 4) & ((1 << NAME_START_BITS) - 1)
    length = (packed >> (4 + NAME_START_BITS)) & ((1 << NAME_LENGTH_BITS) - 1)
    ref = packed >> (4 + NAME_START_BITS + NAME_LENGTH_BITS)
    return kind, start, length, ref


def decode_ints(text, typecode):
    values = array(typecode)
    values.frombytes(base64.b64decode(text))
    if sys.byteorder == "big":
        values.byteswap()
    return values


def read_sections(source):
    """The data sections of a generated module's source text: {name: text}, each text exactly
    as in the file (its lines behind their two-character prefix), sliced once, never rewritten."""
    sections = {}
    start = source.index("\n#@")
    while start >= 0:
        header_end = source.index("\n", start + 1)
        end = source.find("\n#@", header_end)
        name = source[start + 3:header_end].strip()
        if name != "runtime":  # compiled by the module's bootstrap, not read here
            sections[name] = source[header_end + 1:end + 1 if end >= 0 else len(source)]
        start = end
    return sections


def section_lines(text):
    """The lines of a section's text, without their prefixes."""
    return text[2:].rstrip("\n").split("\n#:") if text else []


class MissingSymbolError(AttributeError):
    """A declared function or variable that no library of the module exports."""


class LibraryNotFoundError(OSError):
    """None of the ways to find a library worked; the message lists what was tried."""


class LayoutError(TypeError):
    """ctypes cannot lay out a record the way the C compiler does; it is refused, not guessed."""


class UnsupportedTypeError(TypeError):
    """A declaration uses a C type ctypes cannot express (e.g. __int128 by value)."""


class Binding:
    """The state of one generated module: its tables, its libraries, what is resolved so far."""

    def __init__(self, namespace, sections):
        self._namespace = namespace
        self._module_name = namespace.get("__name__", "lazybind_module")
        self._names = sections["names"]
        self._entries = decode_ints(sections.pop("entries"), "Q")
        self._specs = sections["specs"]
        self._sections = sections
        self._library_specs = [dict(zip(("name", "soname"), line.split("\t")))
                               for line in section_lines(sections["libraries"])]
        self._foreign = _foreign_target(section_lines(sections.get("target", "")))
        self._state = bytearray(len(self._entries))
        self._sample = None  # every _SAMPLE_STEP-th name: index_of bisects it
        self._sample_starts = []
        self._built = set()  # records whose fields are laid out (or refused)
        self._pending = []  # records a pointer refers to, to lay out after the current one
        self._lock = _thread.RLock()
        self._types = {}
        self._signatures = {}
        self._libraries = [None] * len(self._library_specs)
        self._missing = {}
        self._inexact = {}  # ("record", index) or ("aligned", ref): why its alignment is not C's
        self._extension = _ABSENT
        self.info = Info(self)

    # -- names --------------------------------------------------------------------------------

    def name_at(self, index):
        _, start, length, _ = unpack_entry(self._entries[index])
        return self._names[start:start + length]

    def index_of(self, name):
        """The entry of `name`, or -1. Both steps run in C: a bisect of every 32nd name, then one
        search of the names blob from that name's line to the next sampled one; the entry's index
        is the number of its line."""
        sample = self._sample
        if sample is None:
            sample = self._take_sample()
        block = bisect.bisect_right(sample, name) - 1
        if block < 0 or "\n" in name:
            return -1
        names, start = self._names, self._sample_starts[block]
        # a line is "#:" NAME "\n" and no name holds "#" or "\n": a match is one whole line
        found = names.find("#:" + name + "\n", start, self._sample_starts[block + 1])
        return found if found < 0 else block * _SAMPLE_STEP + names.count("\n", start, found)

    def _take_sample(self):
        """Every 32nd name, and where its line starts (then where the names end)."""
        entries = self._entries
        sampled = range(0, len(entries), _SAMPLE_STEP)
        self._sample_starts = [((entries[i] >> 4) & _NAME_START_MASK) - 2 for i in sampled]
        self._sample_starts.append(len(self._names))
        self._sample = [self.name_at(i) for i in sampled]
        return self._sample

    @property
    def meta(self):
        """The meta section: parsed (and json imported) only when asked for."""
        meta = self._sections.get("_meta")
        if meta is None:
            import json

            meta = self._sections["_meta"] = json.loads(section_lines(self._sections["meta"])[0])
        return meta

    def all_names(self):
        return section_lines(self._names)

    def location(self, index):
        locations = self._sections.get("_locations")
        if locations is None:
            locations = self._sections["_locations"] = decode_ints(self._sections["locations"], "I")
        files = section_lines(self._sections["files"])
        packed = locations[index]
        return "%s:%d" % (files[packed >> 20], packed & 0xFFFFF)

    # -- attribute access ---------------------------------------------------------------------

    def getattr(self, name):
        index = self.index_of(name)
        if index < 0:
            if name.endswith("_") and self.index_of(name[:-1]) >= 0:
                return self.getattr(name[:-1])  # `mod.class_` for a C name that is a Python keyword
            if name == "__lazybind__":
                return self.info
            raise AttributeError("module %r has no attribute %r" % (self._module_name, name))
        with self._lock:
            value = self._namespace.get(name, _ABSENT)
            if value is _ABSENT:
                if self._state[index] == MISSING:
                    raise self._missing[index]
                packed = self._entries[index]
                kind = packed & 0xF
                if self._foreign and kind != KIND_CONSTANT:
                    raise UnsupportedTypeError("%s: %s" % (name, self._foreign))
                value = _MATERIALIZERS[kind](self, index, name, packed >> _REF_SHIFT)
                if self._pending:
                    self._complete_pending()
                # Interned, like the names of ordinary module globals: later lookups compare by identity.
                self._namespace[sys.intern(name)] = value
                self._state[index] = RESOLVED
            return value

    def _function(self, index, name, ref):
        restype, argtypes, errcheck = self._signature(ref, name)
        extension = self._extension if self._extension is not _ABSENT else self.extension()
        slot = -1 if extension is None else extension.slot(index)
        if slot >= 0:
            return self._symbol(index, name, lambda library, name: self._bind_compiled(
                slot, library, name, restype, argtypes, errcheck))
        function = _prototype(self._symbol(index, name, _function_pointer), restype, argtypes, errcheck)
        if self._specs[ref] == "V":
            wrapper = _variadic(function, name, len(argtypes))
            if "docs" in self._sections:
                wrapper.__doc__ = self.doc_of(name)
            return wrapper
        return function

    def extension(self):
        """The module's compiled extension, or None; loaded on the first function access."""
        if self._extension is _ABSENT:
            with self._lock:
                if self._extension is _ABSENT:
                    self._extension = load_extension(
                        self._namespace.get("__file__"), section_lines(self._sections.get("compiled", "")))
        return self._extension

    def _bind_compiled(self, slot, library, name, restype, argtypes, errcheck):
        """The extension's function for `name` in `library` (AttributeError when it lacks it).
        Calls with arguments the extension does not convert itself go to the ctypes function."""
        fallback = _CtypesCall(lambda: _prototype(library[name], restype, argtypes, errcheck))
        if library is ctypes.pythonapi:
            return fallback.function()  # the C API is called holding the GIL; the extension drops it
        context = (fallback, _marker(restype), ctypes.Array, _reraise_callback_error, slot, True) + tuple(
            _marker(t) for t in argtypes)  # the layout compiled_prelude.c describes
        function = self._extension.bind(library._handle, context)
        return fallback.function() if function is None else function

    def _signature(self, ref, name):
        """(result type, parameter types, errcheck) of the function spec at `ref`, built once and
        shared by every function of that signature: specs are interned."""
        signature = self._signatures.get(ref)
        if signature is None:
            result, _, params = self.spec(ref)[1:].partition(":")
            try:
                restype = self.result_ctype(int(result))
                argtypes = tuple([self.param_ctype(int(p)) for p in params.split(",") if p])
                _record_misrouted(self, restype, argtypes)
            except UnsupportedTypeError as error:
                raise UnsupportedTypeError("%s: %s" % (name, error)) from None
            # only calls that take callbacks pay for re-raising a callback's exception
            takes_callback = any(getattr(t, "_lazybind_callback_", False) for t in argtypes)
            signature = self._signatures[ref] = (
                restype, argtypes, _reraise_callback_error if takes_callback else None)
        return signature

    def _variable(self, index, name, ref):
        spec = self.spec(ref)
        if spec.startswith("[]"):
            element = self.ctype(int(spec[2:]))
            variable = self._symbol(index, name, element.in_dll)
            return ctypes.cast(ctypes.addressof(variable), ctypes.POINTER(element))
        ctype = self.ctype(ref)
        return self._symbol(index, name, ctype.in_dll)

    def _alias(self, index, name, ref):
        return self.getattr(self.name_at(ref))  # the very object of the declaration it names

    def _macro_call(self, index, name, ref):
        """A Python function doing what the function-like macro does: call a function with its
        parameters, constants and other calls in their places."""
        head, *arguments = self.spec(ref)[1:].split(";")
        target_index, count, *result = (int(v) for v in head.split(":"))
        target_name = self.name_at(target_index)
        target = self.getattr(target_name)
        call = self._call_of(target, None, iter(arguments))
        result_type = self.result_ctype(result[0]) if result else None

        def macro(*args):
            if len(args) != count:
                raise TypeError("%s() takes %d arguments (%d given)" % (name, count, len(args)))
            value = call(args)
            return value if result_type is None else _cast_result(value, result_type)

        macro.__name__ = macro.__qualname__ = name
        macro.__wrapped__ = target
        macro.__doc__ = "The C macro %s: calls %s." % (name, target_name)
        return macro

    def _call_of(self, target, count, arguments):
        """A function of the macro's arguments calling `target` in its expansion; `arguments` is
        an iterator over the argument specs, of which the call takes its `count` (see the tables'
        description above); the outermost call takes them all (`count` None)."""
        types = getattr(getattr(target, "__wrapped__", target), "argtypes", None) or ()
        makers = []
        while count is None or len(makers) < count:
            spec = next(arguments, None)
            if spec is None:
                break
            number = len(makers)
            makers.append(self._argument_of(spec, types[number] if number < len(types) else None,
                                            arguments))
        return lambda args: target(*[make(args) for make in makers])

    def _argument_of(self, spec, parameter_type, rest):
        tag, text = spec[0], spec[1:]
        if tag == "p":
            number = int(text)
            return lambda args: args[number]
        if tag == "P":
            number = int(text)
            return lambda args: _as_pointer(args[number], parameter_type)
        if tag == "v":
            value = _value(text)
            return lambda args: value
        entry, count = (int(v) for v in text.split("/"))
        call = self._call_of(self.getattr(self.name_at(entry)), count, rest)
        return call if tag == "c" else lambda args: _as_pointer(call(args), parameter_type)

    def _record_entry(self, index, name, ref):
        return self.record_class(index)

    def _type_entry(self, index, name, ref):
        return self.ctype(ref)

    def _constant(self, index, name, ref):
        return _value(self.spec(ref))

    # -- symbols and libraries ------------------------------------------------------------------

    def _symbol(self, index, name, lookup):
        """`lookup(library, name)` in each library in order; an absence is remembered, so that
        it is looked up once."""
        libraries = self._libraries
        for number in range(len(libraries)):
            try:
                return lookup(libraries[number] or self.library(number), name)
            except (AttributeError, ValueError):
                continue
        if not libraries:
            message = "%s (declared at %s): this module was generated without --library" % (
                name, self.location(index))
        else:
            message = "%s (declared at %s) is not exported by %s" % (name, self.location(index), ", ".join(
                library._name or sys.executable for library in libraries))  # None: the running process
        error = MissingSymbolError(message)
        self._missing[index] = error
        self._state[index] = MISSING
        raise error

    def library(self, number):
        library = self._libraries[number]
        if library is None:
            with self._lock:
                library = self._libraries[number]
                if library is None:
                    library = open_library(self._library_specs[number])
                    if "docs" in self._sections and library is not ctypes.pythonapi:
                        # this CDLL's own function class: its functions' help() shows the header
                        # comment, decompressed on the first ask
                        library._FuncPtr.__doc__ = property(lambda f: self.doc_of(f.__name__))
                    self._libraries[number] = library
        return library

    def doc_of(self, name):
        """The header comment of function `name` (kept with --docstrings), or None."""
        docs = self._sections.get("_docs")
        if docs is None:
            import json
            import zlib

            docs = self._sections["_docs"] = json.loads(
                zlib.decompress(base64.b64decode(self._sections.get("docs", ""))))
        return docs.get(str(self.index_of(name)))

    # -- types ---------------------------------------------------------------------------------

    def spec(self, ref):
        return self._specs[ref:self._specs.index("\n", ref)]

    def _once(self, key, build, ref):
        """`build(ref)`, computed once per key: types are built on first use and then shared."""
        value = self._types.get(key, _ABSENT)
        if value is _ABSENT:
            value = self._types[key] = build(ref)
        return value

    def ctype(self, ref):
        """The ctypes type for the type spec at `ref` (None for void), built once."""
        value = self._types.get(ref, _ABSENT)
        return self._once(ref, self._build_type, ref) if value is _ABSENT else value

    def _build_type(self, ref):
        spec = self.spec(ref)
        tag = spec[0]
        if tag == "p":
            if spec == "pvoid":
                return None
            if spec in ("pint128", "puint128"):
                return _unsupported(spec[1:], 16, 16)
            return _PRIMITIVE_CTYPES[spec[1:]]
        if tag in "*&":
            return self._pointer(spec)
        if tag == "[":
            length, _, element = spec[1:].partition("]")
            return self.ctype(int(element)) * (int(length) if length else 0)
        if tag in "FV":
            return self._callback_type(spec)
        if tag == "R":
            return self.record_class(int(spec[1:]))
        if tag == "A":
            return self._aligned(ref, spec)
        size, align, spelling = spec[1:].split(",")
        return _unsupported(bytes.fromhex(spelling).decode(), int(size), int(align))

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

    def _pointer(self, spec):
        pointee_ref = int(spec[1:])
        pointee = self.spec(pointee_ref)
        if pointee == "pchar":
            return ctypes.c_char_p if spec[0] == "&" else ctypes.POINTER(ctypes.c_char)
        if pointee[0] in "*&" and self.spec(int(pointee[1:])) == "pchar":
            return ctypes.POINTER(ctypes.c_char_p)  # char **: an array of C strings
        if pointee == "pvoid" or pointee[0] in "FV":
            return ctypes.c_void_p if pointee == "pvoid" else self.ctype(pointee_ref)
        try:
            if pointee[0] == "R":
                index = int(pointee[1:])
                if index not in self._built:
                    self._pending.append(index)
                return ctypes.POINTER(self._record_shell(index))
            target = self.ctype(pointee_ref)
        except LayoutError:
            return ctypes.c_void_p  # a pointer to a refused record still carries its address
        if isinstance(target, type) and issubclass(target, _Unsupported):
            return ctypes.c_void_p
        return ctypes.POINTER(target)

    def param_ctype(self, ref):
        """A parameter type: `char *` takes bytes; `void *` and byte pointers take bytes too."""
        return self._once(("param", ref), self._param_ctype, ref)

    def _param_ctype(self, ref):
        spec = self.spec(ref)
        if spec[0] in "*&[":  # an array parameter is a pointer to its element in C
            pointee = self.spec(int(spec[1:] if spec[0] != "[" else spec.partition("]")[2]))
            if pointee == "pchar":
                return ctypes.c_char_p
            if pointee in _BYTE_POINTEES:
                return ctypes.c_void_p
        return self._checked_value_type(self.ctype(ref), spec)

    def result_ctype(self, ref):
        return self._once(("result", ref), self._result_ctype, ref)

    def _result_ctype(self, ref):
        spec = self.spec(ref)
        pointee = self.spec(int(spec[1:])) if spec[0] in "*&" else ""
        if pointee in _BYTE_POINTEES[:2]:
            return ctypes.POINTER(ctypes.c_ubyte if pointee == "puchar" else ctypes.c_byte)
        return self._checked_value_type(self.ctype(ref), spec)

    def _checked_value_type(self, ctype, spec):
        if isinstance(ctype, type) and issubclass(ctype, _Unsupported):
            raise UnsupportedTypeError("ctypes cannot pass %s by value" % ctype._spelling_)
        if isinstance(ctype, type) and issubclass(ctype, ctypes.Array):
            return ctypes.POINTER(ctype._type_)  # an array parameter is a pointer in C
        return ctype

    def _callback_type(self, spec):
        result, _, params = spec[1:].partition(":")
        restype = self._callback_value(int(result), is_result=True)
        argtypes = [self._callback_value(int(p)) for p in params.split(",") if p]
        base = ctypes.CFUNCTYPE(restype, *argtypes)

        def from_param(cls, value):  # a plain function: 3.9's classmethod mishandles a bound one
            return self._callback_from_param(cls, value)

        return type(base.__name__, (base,), {
            "_flags_": base._flags_, "_argtypes_": base._argtypes_, "_restype_": base._restype_,
            "from_param": classmethod(from_param), "_lazybind_callback_": True})

    def _callback_value(self, ref, is_result=False):
        spec = self.spec(ref)
        if spec[0] in "*&" and is_result:
            return ctypes.c_void_p  # ctypes callbacks can only return simple types
        ctype = self.ctype(ref)
        if isinstance(ctype, type) and issubclass(ctype, (ctypes.Structure, ctypes.Union, _Unsupported)):
            raise UnsupportedTypeError("ctypes callbacks cannot take or return records by value")
        return ctype

    def _callback_from_param(self, cls, value):
        """Accept a plain Python callable where C expects a function pointer: its thunk lives as
        long as the callable (see _kept_thunk). The call about to run takes callbacks: one
        raising meanwhile is re-raised when it returns (_reraise_callback_error)."""
        _callback_state.calling = True
        if value is None or isinstance(value, ctypes._CFuncPtr):
            return value
        if isinstance(value, Callback):
            return value._as_parameter_
        if isinstance(value, int):
            return cls(value)  # an address, as a pointer constant holds (SIG_IGN, SQLITE_TRANSIENT)
        if not callable(value):
            raise TypeError("expected a callable or None, not %s" % type(value).__name__)
        return _kept_thunk(cls, value)

    # -- records -------------------------------------------------------------------------------

    def record_class(self, index):
        """The ctypes class of a record, laid out as the compiler does, or a LayoutError naming
        it (every time it is asked for) when ctypes cannot express that layout."""
        cls = self._record_shell(index)
        if index not in self._built:
            self._complete(index, cls)
        return cls

    def _record_shell(self, index):
        """The record's class, perhaps still without fields: enough for a pointer to it, and
        what lets records point at each other (lists, trees, cycles through unions)."""
        cls = self._types.get(("record", index))
        if cls is None:
            refused = self._types.get(("refused", index))
            if refused is not None:
                raise refused
            spec = self.spec(unpack_entry(self._entries[index])[3])
            base = ctypes.Union if spec[0] == "N" else ctypes.Structure
            cls = self._types[("record", index)] = type(
                self.name_at(index), (base,), {"__module__": self._module_name})
        return cls

    def _complete(self, index, cls):
        self._built.add(index)
        layout = self.spec(unpack_entry(self._entries[index])[3])[1:].split(";")
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
        if spec[0] in "FV":
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

    def selftest(self):
        """Build every record and compare it with the layout embedded at generation (clang's,
        confirmed by the C compiler when one was there: see `layouts`); return the problems."""
        return list(self.refusals((KIND_RECORD,)).values())

    def inexact(self):
        """{index: why} for each record or typedef built so far whose ctypes alignment cannot be
        C's on this Python (usable all the same: sizes and offsets are C's)."""
        found = {}
        for index in range(len(self._entries)):
            kind, _, _, ref = unpack_entry(self._entries[index])
            key = ("record", index) if kind == KIND_RECORD else ("aligned", ref)
            if key in self._inexact and kind in (KIND_RECORD, KIND_TYPEDEF):
                found[index] = self._inexact[key]
        return found

    def refusals(self, kinds=(KIND_RECORD, KIND_FUNCTION, KIND_VARIABLE, KIND_TYPEDEF, KIND_ENUM)):
        """{index: why} for each declaration of `kinds` this module refuses at use, found by
        building what a use builds: classes, types and prototypes (no library is opened)."""
        found = {}
        with self._lock:
            for index in range(len(self._entries)):
                kind, _, _, ref = unpack_entry(self._entries[index])
                if kind not in kinds:
                    continue
                try:
                    if kind == KIND_RECORD:
                        self.record_class(index)
                    elif kind == KIND_FUNCTION:
                        self._signature(ref, self.name_at(index))
                    else:
                        self.ctype(ref)
                except (LayoutError, UnsupportedTypeError) as error:
                    found[index] = str(error)
            self._complete_pending()
        return found


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


class _Unsupported(ctypes.Structure):
    _spelling_ = "?"


def _unsupported(spelling, size, align):
    """Storage of the right size for a type ctypes lacks: fine inside a record, refused by value."""
    return type(spelling, (_Unsupported,), {"_fields_": [("_storage", ctypes.c_ubyte * size)],
                                            "_spelling_": spelling})


_callback_state = _thread._local()  # per thread: .calling (a call taking callbacks runs), .error


def _guarded(call, restype, label):
    """A thunk's Python side. An exception in `call` gives C a zero result; the exception is kept
    for the call of ours that took callbacks and is running on this thread, to re-raise when C
    returns, or, when none is (a handler C runs later, from a call taking no callback: expat's
    XML_Parse), printed as ctypes prints it, since nothing can propagate it."""
    default = None if restype is None else 0

    def guarded(*args):
        try:
            return call(*args)
        except BaseException as error:
            state = _callback_state
            if getattr(state, "calling", False):
                if getattr(state, "error", None) is None:
                    state.error = error
            else:
                sys.stderr.write("Exception ignored in lazybind callback %s:\n" % label)
                __import__("traceback").print_exc()
            return default

    return guarded


# id(owner) -> (reference to the owner, {(prototype, function or None): thunk}): the thunks of
# Python callables passed for function pointers, each alive as long as its callable
_kept = {}


def _kept_thunk(prototype, function):
    """The C function pointer of type `prototype` calling `function`, made once per callable and
    kept as long as the callable lives, for C may keep it past the call (expat handlers, signal,
    atexit). The thunk refers to its callable weakly, or nothing would ever free either; a bound
    method, made anew at each attribute access, is kept by its object and its function."""
    func = getattr(function, "__func__", None)
    owner = getattr(function, "__self__", None) if func is not None else None
    if owner is None:
        owner, func = function, None
    entry = _kept.get(id(owner))
    if entry is None or entry[0]() is not owner:
        entry = _kept[id(owner)] = (_reference(owner), {})
    thunk = entry[1].get((prototype, func))
    if thunk is None:
        owner_of = entry[0]
        if func is None:
            def call(*args):
                return owner_of()(*args)
        else:
            def call(*args):
                return func(owner_of(), *args)
        label = getattr(function, "__qualname__", type(function).__name__)
        thunk = entry[1].setdefault((prototype, func), prototype(
            _guarded(call, prototype._restype_, label)))
    return thunk


def _reference(owner):
    """A weak reference to `owner` that forgets its thunks when it dies; an object that cannot be
    referred to weakly (a builtin function) is held for the life of the process."""
    key = id(owner)

    def forget(reference):
        if _kept.get(key, (None,))[0] is reference:
            del _kept[key]

    try:
        return _weakref.ref(owner, forget)
    except TypeError:
        return lambda: owner


class Callback:
    """A C function pointer made from a Python callable, kept alive until closed; for callbacks
    C stores and calls after the registering call returns. Pass it where the pointer goes."""

    def __init__(self, prototype, function):
        if not (isinstance(prototype, type) and issubclass(prototype, ctypes._CFuncPtr)):
            raise TypeError("callback() needs a function pointer type (a typedef of the module, "
                            "or f.argtypes[i]), not %r" % (prototype,))
        self._pointer = prototype(_guarded(function, prototype._restype_, repr(function)))
        self.function = function

    @property
    def pointer(self):
        """The C function pointer, a ctypes function: for a struct field (`s.zalloc = h.pointer`)."""
        if self._pointer is None:
            raise ValueError("callback %r is closed" % (self.function,))
        return self._pointer

    _as_parameter_ = pointer  # how ctypes passes the handle itself as an argument

    @property
    def closed(self):
        return self._pointer is None

    def close(self):
        """Free the C function pointer: only once C can no longer call it."""
        self._pointer = None

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()
        return False


def _reraise_callback_error(result, function, arguments):
    state = _callback_state
    state.calling = False
    error = getattr(state, "error", None)
    if error is not None:
        state.error = None
        raise error
    return result


def _function_pointer(library, name):
    """`library[name]` without CDLL.__getitem__'s Python frame (AttributeError when absent)."""
    function = library._FuncPtr((name, library))
    function.__name__ = name
    return function


def _prototype(function, restype, argtypes, errcheck):
    """A ctypes function given its result and parameter types."""
    function.restype = restype
    function.argtypes = argtypes
    if errcheck is not None:
        function.errcheck = errcheck
    return function


class _CtypesCall:
    """The ctypes function behind a compiled one, made on the first call the extension hands
    over (an argument it does not convert itself: byref(), an array of another type...)."""

    __slots__ = ("_make", "_function")

    def __init__(self, make):
        self._make = make
        self._function = None

    def function(self):
        if self._function is None:
            self._function = self._make()
        return self._function

    def __call__(self, *args):
        return self.function()(*args)


def _marker(ctype):
    """How the extension's context names a type: c_char_p takes and gives bytes, c_void_p ints,
    a pointer or function pointer type is itself (the extension reads and writes the address its
    instances hold); any other type is None, which the extension never reads an address from."""
    if ctype is ctypes.c_char_p or ctype is ctypes.c_void_p:
        return bytes if ctype is ctypes.c_char_p else int
    if isinstance(ctype, type) and issubclass(ctype, (ctypes._Pointer, ctypes._CFuncPtr)):
        return ctype
    return None


def load_extension(module_file, compiled):
    """A module's compiled extension, or None when it has none, it was not built, it does not
    load here, or it was built from other tables than the module's: `compiled` is the lines of
    the module's compiled section."""
    if not compiled or not module_file:
        return None
    from importlib import machinery, util

    name, digest = compiled[0].split("\t")
    path = os.path.join(os.path.dirname(module_file), name + machinery.EXTENSION_SUFFIXES[0])
    if not os.path.isfile(path):
        return None
    try:
        loader = machinery.ExtensionFileLoader(name, path)
        extension = util.module_from_spec(util.spec_from_file_location(name, path, loader=loader))
        loader.exec_module(extension)
    except ImportError:
        return None
    return extension if getattr(extension, "TABLES", None) == digest else None


def _as_pointer(value, ctype):
    """What a C cast to the pointer type `ctype` does where ctypes would refuse `value` (a
    pointer of another type, an address): a `ctype` pointing where `value` does."""
    if isinstance(ctype, type) and issubclass(ctype, ctypes._Pointer) and not isinstance(value, ctype) \
            and isinstance(value, (int, ctypes._Pointer, ctypes.Array, ctypes.c_void_p)):
        return ctypes.cast(value, ctype)
    return value


def _cast_result(value, ctype):
    """A macro's result cast to the pointer type `ctype`, as functions returning it give it:
    bytes for `const char *`, an int for `void *`, else a pointer object."""
    if ctype is ctypes.c_char_p or ctype is ctypes.c_void_p:
        if isinstance(value, (ctypes._Pointer, ctypes.Array)):
            value = ctypes.cast(value, ctypes.c_void_p).value
        return ctype(value).value if isinstance(value, int) else value
    return _as_pointer(value, ctype)


def _variadic(function, name, fixed):
    """C's default argument promotions for the variable arguments of a `...` function."""

    def call(*args):
        if len(args) < fixed:
            raise TypeError("%s() takes at least %d arguments (%d given)" % (name, fixed, len(args)))
        return function(*args[:fixed], *[_promote(value, number, name)
                                         for number, value in enumerate(args[fixed:], fixed + 1)])

    call.__name__ = call.__qualname__ = name
    call.__wrapped__ = function
    return call


_BYREF = type(ctypes.byref(ctypes.c_int()))
# ctypes scalars narrower than int, which C promotes to int (libffi refuses them in `...`)
_TO_INT = {ctypes.c_bool, ctypes.c_byte, ctypes.c_ubyte, ctypes.c_short, ctypes.c_ushort}


def _promote(value, position=0, name="a variadic C function"):
    """`value` as C receives it among the `...` arguments: ints as int (long, unsigned long when
    wider), floats and c_float as double, bool and every ctypes scalar narrower than int as int,
    bytes as char *, a writable buffer (bytearray) as a pointer into it, pointers, arrays (their
    address), byref() and function pointers as they are. What C cannot receive is a TypeError
    naming the argument's position and type."""
    kind = type(value)
    if kind is int or kind is bool:
        return _promoted_int(value, position, name)
    if kind is float:
        return ctypes.c_double(value)
    if kind is bytes:
        return ctypes.c_char_p(value)
    if value is None or kind is _BYREF or isinstance(value, (
            ctypes._Pointer, ctypes.Array, ctypes._CFuncPtr, ctypes.Structure, ctypes.Union)):
        return value
    if isinstance(value, ctypes._SimpleCData):
        return _promoted_scalar(value)
    if hasattr(value, "_as_parameter_"):  # a __lazybind__.callback handle, or a user's own
        return _promote(value._as_parameter_, position, name)
    if isinstance(value, int):  # an IntEnum...
        return _promoted_int(int(value), position, name)
    if isinstance(value, float):
        return ctypes.c_double(value)
    if not isinstance(value, str):
        try:
            return _buffer_pointer(memoryview(value), position, name)
        except TypeError:
            pass
    hint = ""
    if isinstance(value, str):
        hint = ": C has no str, pass bytes (text.encode())"
    elif callable(value):
        hint = ": a C function pointer needs its C type, pass __lazybind__.callback(prototype, f)"
    raise TypeError("%s(): argument %d: cannot pass %s to a variadic C function%s"
                    % (name, position, kind.__name__, hint))


def _promoted_int(value, position, name):
    if -2 ** 31 <= value < 2 ** 31:
        return ctypes.c_int(value)
    if -2 ** 63 <= value < 2 ** 63:
        return ctypes.c_longlong(value)  # C's long where it is 64-bit: the same in a call
    if 0 <= value < 2 ** 64:
        return ctypes.c_ulonglong(value)
    raise TypeError("%s(): argument %d: %d does not fit in 64 bits" % (name, position, value))


def _promoted_scalar(value):
    kind = type(value)
    base = kind.__mro__[1] if kind.__mro__[1] is not ctypes._SimpleCData else kind
    if base is ctypes.c_float:
        return ctypes.c_double(value.value)
    if base in _TO_INT:
        return ctypes.c_int(value.value)
    if base is ctypes.c_char:  # C's char: signed on x86, unsigned on Arm, PowerPC, s390...
        machine = os.uname().machine if hasattr(os, "uname") else "x86"
        signed = machine.startswith(("x86", "i386", "i486", "i586", "i686", "amd64", "AMD64"))
        return ctypes.c_int((ctypes.c_byte if signed else ctypes.c_ubyte).from_buffer_copy(value).value)
    if base is ctypes.c_wchar:
        return ctypes.c_int(ord(value.value))
    return value


def _buffer_pointer(view, position, name):
    """A pointer to a buffer's own memory (C may write into a bytearray), or to a copy of a
    read-only one."""
    if not view.contiguous:
        raise TypeError("%s(): argument %d: a non-contiguous buffer cannot be passed to C"
                        % (name, position))
    if view.readonly:
        return ctypes.c_char_p(view.tobytes())
    return (ctypes.c_char * view.nbytes).from_buffer(view)


_ABSENT = object()
def _architecture(name):
    name = name.lower()
    if name in ("i386", "i486", "i586", "i686", "x86"):
        return "i686"
    return {"amd64": "x86_64", "arm64": "aarch64"}.get(name, name)


def _foreign_target(target_lines):
    """Why a module made with --target for another architecture cannot build its types and
    functions here ("" when it can): ctypes lays out only this interpreter's ABI."""
    if not target_lines:
        return ""
    here = getattr(sys.implementation, "_multiarch", "") or os.uname().machine
    wanted, actual = _architecture(target_lines[0].split("-")[0]), _architecture(here.split("-")[0])
    if wanted == actual:
        return ""
    return ("the module was generated with --target %s, for another architecture than this "
            "interpreter's (%s): only its constants can be used here" % (target_lines[0], here))


def _value(spec):
    """A constant from its value spec (see the tables' description above)."""
    tag, text = spec[0], spec[1:]
    if tag == "i" or tag == "a":
        return int(text)
    if tag == "f":
        return float(text)
    if tag == "s":
        return bytes.fromhex(text)
    return None


_MATERIALIZERS = {
    KIND_FUNCTION: Binding._function,
    KIND_VARIABLE: Binding._variable,
    KIND_RECORD: Binding._record_entry,
    KIND_ENUM: Binding._type_entry,
    KIND_TYPEDEF: Binding._type_entry,
    KIND_CONSTANT: Binding._constant,
    KIND_ALIAS: Binding._alias,
    KIND_MACRO_CALL: Binding._macro_call,
}


# -- libraries ---------------------------------------------------------------------------------

def open_library(spec):
    """Open a library described by {"name": ..., "soname": ...}: the LAZYBIND_LIB_<NAME> variable,
    then the name as given (a path or soname), then the soname seen at generation time, then
    lib<name>.so and lib<name>.so.* in the usual directories; ctypes.util last. "@python" is the
    running interpreter itself."""
    name = spec["name"]
    if name == "@python":
        # The running interpreter's own C API: its functions must be called holding the GIL,
        # which PyDLL (ctypes.pythonapi) does and CDLL does not.
        return ctypes.pythonapi
    variable = "LAZYBIND_LIB_" + "".join(c if c.isalnum() else "_" for c in name).upper()
    tried = []
    for candidate in _library_candidates(name, spec.get("soname"), os.environ.get(variable)):
        try:
            library = ctypes.CDLL(candidate)
        except OSError as error:
            tried.append("%s (%s)" % (candidate, error))
            continue
        return library
    if "/" not in name and ".so" not in name:
        from ctypes import util

        found = util.find_library(name)
        if found:
            try:
                return ctypes.CDLL(found)
            except OSError as error:
                tried.append("%s (%s)" % (found, error))
        else:
            tried.append("ctypes.util.find_library(%r): not found" % name)
    raise LibraryNotFoundError(
        "library %r not found; set %s to its path. Tried: %s" % (name, variable, "; ".join(tried)))


def _library_candidates(name, soname, from_environment):
    """What to try, best first; the directories are listed only when the names fail."""
    if from_environment:
        yield from_environment
    if "/" in name or ".so" in name or name.endswith(".dylib") or name.endswith(".dll"):
        yield name
        return
    if soname:
        yield soname
    yield "lib%s.so" % name
    yield from _scan_library_dirs(name)


def _scan_library_dirs(name):
    multiarch = getattr(sys.implementation, "_multiarch", "")
    directories = ["/usr/local/lib", "/lib/" + multiarch, "/usr/lib/" + multiarch,
                   "/lib64", "/usr/lib64", "/lib", "/usr/lib"]
    prefix = "lib%s.so." % name
    found = []
    for directory in directories:
        try:
            entries = sorted(os.listdir(directory))
        except OSError:
            continue
        found.extend(os.path.join(directory, e) for e in entries if e.startswith(prefix))
    return found


def library_path(library):
    """The file a loaded library came from, as the dynamic loader recorded it."""
    class LinkMap(ctypes.Structure):
        _fields_ = [("l_addr", ctypes.c_void_p), ("l_name", ctypes.c_char_p)]

    try:
        dlinfo = ctypes.CDLL(None).dlinfo
    except AttributeError:
        return library._name
    link_map = ctypes.POINTER(LinkMap)()
    if dlinfo(ctypes.c_void_p(library._handle), 2, ctypes.byref(link_map)) != 0:
        return library._name
    # The main program's entry has an empty name (a library opened as None: the running process)
    return os.fsdecode(link_map.contents.l_name) or library._name or sys.executable


# -- the __lazybind__ object -------------------------------------------------------------------

class Info:
    """`module.__lazybind__`: what the module knows about itself, and helpers for C idioms."""

    MissingSymbolError = MissingSymbolError
    LibraryNotFoundError = LibraryNotFoundError
    LayoutError = LayoutError

    def __init__(self, binding):
        self._binding = binding
        self.libraries = tuple(spec["name"] for spec in binding._library_specs)

    @property
    def version(self):
        return self._binding.meta["version"]

    @property
    def header(self):
        return tuple(self._binding.meta["headers"])

    @property
    def layouts(self):
        return self._binding.meta.get("layouts", "")

    @property
    def library_path(self):
        """Paths of the libraries opened so far (opening the first one if none is)."""
        binding = self._binding
        if binding._libraries and binding._libraries[0] is None:
            binding.library(0)
        return [library_path(lib) for lib in binding._libraries if lib is not None]

    def available(self, name):
        """True when `name` is declared and, for a function or variable, exported."""
        try:
            self._binding.getattr(name)
        except (AttributeError, OSError):
            return False
        return True

    def resolved(self):
        binding = self._binding
        return [binding.name_at(i) for i, state in enumerate(binding._state) if state == RESOLVED]

    def names(self):
        return self._binding.all_names()

    def selftest(self):
        return self._binding.selftest()

    @property
    def backend(self):
        """"compiled" when the module's compiled extension is in use, else "ctypes"."""
        return "ctypes" if self._binding.extension() is None else "compiled"

    def with_errno(self, function):
        """A variant of a resolved C function that saves errno for ctypes.get_errno(). The plain
        function does not: saving errno costs every call, and most calls do not need it."""
        function = getattr(function, "_ctypes_", function)  # a compiled function's ctypes twin
        return _retyped(function, ctypes.CFUNCTYPE, use_errno=True)

    def holding_gil(self, function):
        """A variant of a resolved C function that keeps the GIL during the C call, for short
        calls in a hot loop: releasing the GIL and taking it back costs more than such a call.
        Other threads wait while it runs, so not for calls that block or run long."""
        extension = self._binding.extension()
        if extension is not None and type(function).__name__ == "compiled_function":
            return extension.holding_gil(function)
        return _retyped(function, ctypes.PYFUNCTYPE)

    @staticmethod
    def callback(prototype, function):
        """A handle keeping `function` callable from C until closed (or its `with` block ends):
        for a callback C stores, e.g. sqlite3_create_function_v2. `prototype` is a function
        pointer type: a typedef of the module or a parameter's type, `f.argtypes[i]`."""
        return Callback(prototype, function)

    def scoped(self, resource, release=None):
        """`with scoped(open_thing(), close_thing) as thing:` calls close_thing(thing) on leaving
        the block, also on error; not for a NULL pointer. Without `release`: the function named
        for the resource's type when the module was generated (--release TYPE=FUNCTION)."""
        return _Scoped(resource, self._release_for(resource) if release is None else release)

    def _release_for(self, resource):
        kind = type(resource)
        pointee = getattr(kind, "_type_", None)  # a pointer to the declared type counts too
        for type_name, function in sorted(self._binding.meta.get("release", {}).items()):
            declared = self._binding.getattr(type_name)
            if kind is declared or pointee is declared:
                return self._binding.getattr(function)
        raise TypeError("scoped(): no release function declared for %s: pass one, scoped(x, "
                        "release), or generate with --release TYPE=FUNCTION" % kind.__name__)

    @staticmethod
    def IOC(direction, kind, number, size):
        """An ioctl request number, as <asm-generic/ioctl.h> builds it."""
        return (direction << 30) | (size << 16) | (kind << 8) | number

    @staticmethod
    def ioctl(fd, request, arg=0):
        """ioctl(2): `arg` is an int, a ctypes pointer/byref, or a struct filled in place."""
        libc = _libc_with_errno()
        if isinstance(arg, int):
            argument = ctypes.c_ulong(arg)
        elif isinstance(arg, (ctypes.Structure, ctypes.Union, ctypes.Array, ctypes._SimpleCData)):
            argument = ctypes.byref(arg)
        else:
            argument = arg
        result = libc.ioctl(int(fd), ctypes.c_ulong(request), argument)
        return _checked(result)

    @staticmethod
    def syscall(number, *args):
        """syscall(2) through libc: integer arguments are passed as C longs."""
        libc = _libc_with_errno()
        converted = [ctypes.c_long(a) if isinstance(a, int) else _promote(a, number, "syscall")
                     for number, a in enumerate(args, 2)]
        libc.syscall.restype = ctypes.c_long
        return _checked(libc.syscall(ctypes.c_long(number), *converted))


def _retyped(function, factory, **flags):
    """The C function behind a ctypes function, called through a prototype of another kind."""
    address = ctypes.cast(function, ctypes.c_void_p).value
    return factory(function.restype, *(function.argtypes or ()), **flags)(address)


class _Scoped:
    def __init__(self, resource, release):
        self._resource, self._release = resource, release

    def __enter__(self):
        return self._resource

    def __exit__(self, *exc_info):
        resource = self._resource
        if resource or not isinstance(resource, (ctypes._Pointer, ctypes.c_void_p)):
            self._release(resource)  # a NULL pointer is nothing to release (fclose(NULL) crashes)
        return False


_LIBC = []


def _libc_with_errno():
    if not _LIBC:
        _LIBC.append(ctypes.CDLL(None, use_errno=True))
    return _LIBC[0]


def _checked(result):
    if result == -1:
        errno = ctypes.get_errno()
        raise OSError(errno, os.strerror(errno))
    return result


# -- calls ctypes/libffi passes wrongly ---------------------------------------------------------
#
# On x86-64 System V a record of up to 16 bytes travels in registers, one per eightbyte by its
# class: INTEGER takes the next of six general registers, SSE the next of eight vector ones; a
# record that needs more than are left, or is MEMORY (larger, a misaligned member, long double
# argument), goes on the stack. ctypes describes a record to libffi as its _fields_, which libffi
# lays out again at their natural alignment: for unions, bitfields, packed records and the
# padding members lazybind adds, that is not the record C has, and libffi classifies it wrongly.
# And libffi before 3.4.7 (Debian 12 has 3.4.4; fixed by its commit d21881f5) copies a record
# whose first eightbyte is INTEGER into the last general register whole, the tail landing in the
# first vector register. A signature meeting either is refused where it is first used, naming
# the record; tests/conformance calls C to show both halves of the rule right.

_SYSV_X86_64 = (not sys.platform.startswith(("win", "cygwin", "msys"))
                and ctypes.sizeof(ctypes.c_void_p) == 8
                and _architecture(os.uname().machine) == "x86_64")
# compared by identity: isinstance() of a class against a metaclass takes 0.4 us, and every
# signature a module uses comes through here
_RECORD_TYPES = frozenset((type(ctypes.Structure), type(ctypes.Union)))
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
    index = binding.index_of(ctype.__name__)
    if index < 0 or binding._types.get(("record", index)) is not ctype:
        _refuse(ctype, "not a record of this module")
    wanted, got, align = binding._once(("classes", index), lambda spec: _both_classes(
        binding, spec, ctype), binding.spec(unpack_entry(binding._entries[index])[3]))
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
        return _gcc_classes(binding, binding.spec(unpack_entry(binding._entries[int(spec[1:])])[3]),
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
        return int(binding.spec(unpack_entry(binding._entries[int(spec[1:])])[3])[1:].split(",")[0])
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


def install(namespace, source):
    """Called by a generated module's bootstrap: returns the module's new `__getattr__`."""
    binding = Binding(namespace, read_sections(source))
    namespace["__dir__"] = lambda: binding.all_names() + ["__lazybind__"]
    namespace["__lazybind__"] = binding.info
    return binding.getattr
