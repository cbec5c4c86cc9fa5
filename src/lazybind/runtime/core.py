"""lazybind runtime, the core: what a generated module runs on its first attribute access. It finds
a name in the module's tables, reading only the few bytes that lookup needs, and builds a
function, constant or plain type (a variable, a record's fields, a macro call: with their
parts). Standard library only.

The runtime is parts that share one namespace (see lazybind/runtime/__init__.py, which also
describes the module file this core reads): this core (with data.py before it, which reads the
module's tables, and libraries.py after it, which opens the libraries), and errors, records,
callbacks, variadic, macros, info, tools, kernel, compiled, abi, search and variables, each
compiled the first time something needs it. A part's functions and Binding methods are looked
up at call time; the core loads a part before it calls into it or into the Binding methods the
part adds (`_need`: not a stand-in for each such method, which cost every first use more than
the calls do). Must not import any module but the standard library's, and nothing the core can
do without (a library needs ctypes, which brings _ctypes; marshal and _thread are there
already).
"""

import ctypes
import _ctypes
import _thread


(KIND_FUNCTION, KIND_VARIABLE, KIND_RECORD, KIND_ENUM, KIND_TYPEDEF, KIND_CONSTANT, KIND_ALIAS,
 KIND_MACRO_CALL) = range(8)

_PRIMITIVE_CTYPES = {
    "bool": ctypes.c_bool, "char": ctypes.c_char, "schar": ctypes.c_byte, "uchar": ctypes.c_ubyte,
    "short": ctypes.c_short, "ushort": ctypes.c_ushort, "int": ctypes.c_int, "uint": ctypes.c_uint,
    "long": ctypes.c_long, "ulong": ctypes.c_ulong, "longlong": ctypes.c_longlong,
    "ulonglong": ctypes.c_ulonglong, "float": ctypes.c_float, "double": ctypes.c_double,
    "longdouble": ctypes.c_longdouble, "wchar": ctypes.c_wchar, "char16": ctypes.c_uint16,
    "char32": ctypes.c_uint32,
}
# what a pointer to these pointees is, as a parameter (bytes are passed as they are) and as a result
_BYTE_PARAMETERS = {"pchar": ctypes.c_char_p, "pwchar": ctypes.c_wchar_p, "puchar": ctypes.c_void_p,
                    "pschar": ctypes.c_void_p, "pvoid": ctypes.c_void_p}
_BYTE_RESULTS = {"puchar": ctypes.c_ubyte, "pschar": ctypes.c_byte}
_ABSENT = object()


# -- parts ---------------------------------------------------------------------------------------

_parts = {"core"}
_part_lock = _thread.RLock()
_load_part = None  # set by the first module's bootstrap (or lazybind/runtime/__init__.py)


def _need(part):
    """Compile and run a runtime part into this namespace, once per process; the errors part
    first, as every other part raises or catches them by name."""
    if part not in _parts:
        with _part_lock:
            if part not in _parts:
                if part != "errors":
                    _need("errors")
                exec(_load_part(part), globals())
                _parts.add(part)


def _error(name):
    """The exception class `name` of the errors part, loaded on the first error."""
    _need("errors")
    return globals()[name]


def _mix_in(target, cls):
    """Put a part's methods (the functions and properties of `cls`) onto `target`."""
    for name, value in cls.__dict__.items():
        if not name.startswith("__"):
            setattr(target, name, value)


# -- the binding -----------------------------------------------------------------------------------

class Binding:
    """The state of one generated module: its data, its libraries, what is resolved so far."""

    def __init__(self, namespace, data):
        self._namespace = namespace
        self._module_name = namespace.get("__name__", "lazybind_module")
        self._data = data
        self._library_specs = [dict(zip(("name", "soname"), line.split("\t")))
                               for line in data.section("libraries")]
        self._foreign = ""  # why a module for another architecture builds only constants
        if data.has("target"):
            _need("tools")
            self._foreign = _foreign_target(data.section("target"))
        self._built = set()  # records whose fields are laid out (or refused)
        self._pending = []  # records a pointer refers to, to lay out after the current one
        self._lock = _thread.RLock()
        self._types = {}
        self._params = {}  # type ref (its digits) -> its ctype as a parameter
        self._param_of = self._params.__getitem__
        self._passed_specially = set()  # those refs of a record by value or a callback
        self._results = {}  # type ref (its digits) -> its ctype as a result
        self._parameter_lists = {}  # a function spec's parameters -> see _parameter_list
        self._specs = {}
        self._signatures = {}
        self._libraries = [None] * len(self._library_specs)
        self._missing = {}  # index -> the MissingSymbolError it raises (looked up once)
        self._inexact = {}  # ("record", index) or ("aligned", ref): why its alignment is not C's
        self._extension = None if not data.has("compiled") else _ABSENT

    # -- names --------------------------------------------------------------------------------

    def name_at(self, index):
        return self._declaration(index)[0]

    def _declaration(self, index):
        """(name, ref) of the declaration at `index`, from its names line."""
        data = self._data
        line = data.line(data.names_start + data.fixed("lines", index, OFFSET_WIDTH))
        name, _, number = line[2:].partition(" ")
        return name, int(number, 36) >> data.ref_shift

    # -- attribute access ---------------------------------------------------------------------

    def getattr(self, name):
        found = find(self._data, name) if "\n" not in name else None
        if found is None:
            if name.endswith("_") and find(self._data, name[:-1]) is not None:
                return self.getattr(name[:-1])  # `mod.class_` for a C name that is a Python keyword
            if name == "__lazybind__":  # made on the first ask (the info part)
                _need("info")
                return self.info()
            raise AttributeError("module %r has no attribute %r" % (self._module_name, name))
        index, kind, ref = found
        lock = self._lock
        lock.acquire()  # (not `with`, which costs every first access twice as much)
        try:
            value = self._namespace.get(name, _ABSENT)
            if value is _ABSENT:
                if index in self._missing:
                    raise self._missing[index]
                if self._foreign and kind != KIND_CONSTANT:
                    raise _error("UnsupportedTypeError")("%s: %s" % (name, self._foreign))
                value = _MATERIALIZERS[kind](self, index, name, ref)
                if self._pending:
                    _need("records")
                    self._complete_pending()
                # (the caller's str, not sys.intern's: from attribute syntax it is interned already)
                self._namespace[name] = value
            return value
        finally:
            lock.release()

    def _function(self, index, name, ref):
        # (most functions share a signature built before: looked up here, without a call)
        signature = self._signatures.get(ref) or self._signature(ref, name)
        if signature[3] == "F" and self._extension is None:  # C's convention, fixed parameters
            return self._symbol(index, name, _function_pointer, signature)
        return self._special_function(index, name, signature)

    def _special_function(self, index, name, signature):
        """A function of a module with a compiled fast path, a stdcall or a variadic one."""
        if self._extension is not None:
            _need("compiled")
            function = self._compiled_function(index, name, signature)
            if function is not None:
                return function
        tag = signature[3]
        if tag == "W":  # stdcall (i686 Windows): through WinDLL
            _need("abi")
            return self._symbol(index, name, _stdcall_pointer, signature)
        function = self._symbol(index, name, _function_pointer, signature)
        if tag == "V":
            _need("variadic")
            return _variadic(function, name, len(signature[1]), self)
        return function

    def _signature(self, ref, name):
        """(result type, parameter types, errcheck, tag: F, V or W) of the function spec at `ref`,
        built once and shared by every function of that signature (specs are interned): the
        caller looks in `_signatures` first."""
        data = self._data
        spec = data.line(data.specs_start + ref)  # (read once: not kept in `_specs`)
        result, _, params = spec[1:].partition(":")
        try:
            restype = self._results.get(result, _ABSENT)  # (most results are built: no call)
            if restype is _ABSENT:
                restype = self.result_ctype(result)
            # (functions share parameter lists more often than whole signatures)
            argtypes, by_value, callbacks = (self._parameter_lists.get(params)
                                             or self._parameter_list(params))
            result_kind = type(restype)
            if by_value or result_kind in _RECORD_TYPES:
                _need("abi")  # a record by value: a call libffi may pass wrongly
                _record_misrouted(self, restype, argtypes)
        except _error("UnsupportedTypeError") as error:
            raise _error("UnsupportedTypeError")("%s: %s" % (name, error)) from None
        # only calls that take callbacks pay for re-raising a callback's exception (a callback
        # type was built: the callbacks part is there)
        errcheck = (_reraise_callback_error if callbacks or result_kind is _FUNCTION_POINTER_TYPE
                    else None)
        signature = self._signatures[ref] = (restype, argtypes, errcheck, spec[0])
        return signature

    def _parameter_list(self, params):
        """(types, whether one is a record passed by value, whether one is a callback) of a
        function spec's parameters, built once: `params` is their refs' digits, comma-separated,
        as the spec has them."""
        refs = params.split(",") if params else ()
        try:  # the parameters' types built before, looked up in C: most are a module's few
            argtypes = tuple(map(self._param_of, refs))
        except KeyError:
            argtypes = tuple(map(self.param_ctype, refs))
        if self._passed_specially.isdisjoint(refs):  # (most lists: asked of their refs, in C)
            built = (argtypes, False, False)
        else:
            kinds = set(map(type, argtypes))
            built = (argtypes, not _RECORD_TYPES.isdisjoint(kinds), _FUNCTION_POINTER_TYPE in kinds)
        self._parameter_lists[params] = built
        return built

    def _alias(self, index, name, ref):
        return self.getattr(self.name_at(ref))  # the very object of the declaration it names

    def _type_entry(self, index, name, ref):
        return self.ctype(ref)

    def _constant(self, index, name, ref):
        return _value(self.spec(ref))

    # -- symbols and libraries ------------------------------------------------------------------

    def _symbol(self, index, name, lookup, argument):
        """`lookup(library, name, argument)` in each library in order; an absence is remembered,
        so that it is looked up once."""
        number = 0  # (not enumerate(): its object and tuples cost a function 800 instructions)
        for library in self._libraries:
            if library is None:  # (opened outside the try: a library not found is an OSError too)
                library = self.library(number)
            try:
                return lookup(library, name, argument)
            except (AttributeError, ValueError, OSError):  # (OSError: from _dlsym)
                number += 1
        _need("errors")
        error = self._missing[index] = self._missing_symbol(index, name)
        raise error

    def library(self, number):
        library = self._libraries[number]
        if library is None:
            with self._lock:
                library = self._libraries[number]
                if library is None:
                    library = open_library(self._library_specs[number])
                    if self._data.has("docs") and library is not ctypes.pythonapi:
                        _need("tools")
                        self._document(library)
                    self._libraries[number] = library
        return library

    # -- types ---------------------------------------------------------------------------------

    def spec(self, ref):
        """The spec at `ref`, read once: specs are interned, so types share them."""
        spec = self._specs.get(ref)
        if spec is None:
            data = self._data
            spec = self._specs[ref] = data.line(data.specs_start + ref)
        return spec

    def ctype(self, ref):
        """The ctypes type for the type spec at `ref` (None for void), built once."""
        value = self._types.get(ref, _ABSENT)
        if value is _ABSENT:
            value = self._types[ref] = self._build_type(ref)
        return value

    def _build_type(self, ref):
        spec = self.spec(ref)
        tag = spec[0]
        if tag == "p":
            if spec == "pvoid":
                return None
            if spec[1:] in _PRIMITIVE_CTYPES:  # (not __int128: below)
                return _PRIMITIVE_CTYPES[spec[1:]]
        elif tag in "*&":
            return self._pointer(spec)
        elif tag == "[":
            length, _, element = spec[1:].partition("]")
            return self.ctype(int(element)) * (int(length) if length else 0)
        elif tag in "FVW":
            _need("callbacks")
            return self._callback_type(spec)
        elif tag == "X":  # the C compiler and clang disagree on this type: no ctype is right
            raise _error("LayoutError")(bytes.fromhex(spec[1:]).decode())
        _need("records")  # a record, a typedef aligned its own way, a type ctypes lacks (U, int128)
        if tag == "R":
            return self.record_class(int(spec[1:]))
        if tag == "A":
            return self._aligned(ref, spec)
        if tag == "p":
            return self._unsupported_type(spec[1:], 16, 16)
        size, align, spelling = spec[1:].split(",")
        return self._unsupported_type(bytes.fromhex(spelling).decode(), int(size), int(align))

    def _pointer(self, spec):
        pointee_ref = int(spec[1:])
        pointee = self.spec(pointee_ref)
        if pointee == "pchar":
            return ctypes.c_char_p if spec[0] == "&" else ctypes.POINTER(ctypes.c_char)
        if pointee == "pwchar":  # Windows' 2-byte wchar_t: LPCWSTR gives and takes a str
            return ctypes.c_wchar_p if spec[0] == "&" else ctypes.POINTER(ctypes.c_wchar)
        if pointee[0] in "*&" and self.spec(int(pointee[1:])) == "pchar":
            return ctypes.POINTER(ctypes.c_char_p)  # char **: an array of C strings
        if pointee == "pvoid" or pointee[0] in "FVW":
            return ctypes.c_void_p if pointee == "pvoid" else self.ctype(pointee_ref)
        try:
            if pointee[0] == "R":
                index = int(pointee[1:])
                shell = self._record_shell(index)
                if index not in self._built:  # an opaque record is built as it is
                    self._pending.append(index)
                return ctypes.POINTER(shell)
            target = self.ctype(pointee_ref)
        except _error("LayoutError"):
            return ctypes.c_void_p  # a pointer to a refused record still carries its address
        if _is_unsupported(target):
            return ctypes.c_void_p
        return ctypes.POINTER(target)

    def param_ctype(self, ref_text):
        """A parameter's type, built once (`ref_text`: its ref's digits, as a function spec has
        them): `char *` takes bytes; `void *` and byte pointers take bytes too. An array
        parameter is a pointer to its element, as in C."""
        value = self._params.get(ref_text)
        if value is None:  # (a parameter has a type: never None, unlike a result)
            ref = int(ref_text)
            spec = self.spec(ref)
            pointee = self.spec(int(spec[1:] if spec[0] != "[" else spec.partition("]")[2])
                                ) if spec[0] in "*&[" else ""
            value = self._params[ref_text] = (_BYTE_PARAMETERS.get(pointee)
                                              or self._checked_value_type(self.ctype(ref)))
            if type(value) in _PASSED_SPECIALLY:
                self._passed_specially.add(ref_text)
        return value

    def result_ctype(self, ref_text):
        """A result's type (None for void), built once (`ref_text` as for param_ctype): a pointer
        to bytes gives their address."""
        value = self._results.get(ref_text, _ABSENT)
        if value is _ABSENT:
            ref = int(ref_text)
            spec = self.spec(ref)
            pointee = self.spec(int(spec[1:])) if spec[0] in "*&" else ""
            value = self._results[ref_text] = (
                ctypes.POINTER(_BYTE_RESULTS[pointee]) if pointee in _BYTE_RESULTS
                else self._checked_value_type(self.ctype(ref)))
        return value

    @staticmethod
    def _checked_value_type(ctype):
        if _is_unsupported(ctype):
            raise _error("UnsupportedTypeError")("ctypes cannot pass %s by value" % ctype._spelling_)
        if type(ctype) is _ARRAY_TYPE:
            return ctypes.POINTER(ctype._type_)  # an array parameter is a pointer in C
        return ctype

    # -- records: the class, perhaps still without fields (a pointer to it needs no more) --------

    def _record_shell(self, index):
        """The record's class, perhaps still without fields: enough for a pointer to it, and
        what lets records point at each other (lists, trees, cycles through unions). An opaque
        record (`struct ssl_st;`) is complete as it is."""
        cls = self._types.get(("record", index))
        if cls is None:
            refused = self._types.get(("refused", index))
            if refused is not None:
                raise refused
            name, ref = self._declaration(index)
            spec = self.spec(ref)
            base = ctypes.Union if spec[0] == "N" else ctypes.Structure
            cls = self._types[("record", index)] = type(name, (base,), {"__module__": self._module_name})
            if spec[1:2] == "?":
                self._built.add(index)
        return cls


# compared by identity: isinstance() of a class against a metaclass takes 0.4 us, and every
# signature a module uses comes through here
_RECORD_TYPES = frozenset((type(ctypes.Structure), type(ctypes.Union)))
_FUNCTION_POINTER_TYPE = type(ctypes._CFuncPtr)  # the class of a callback parameter's type
# the classes of the parameter types that make a signature more than a plain call (_signature)
_PASSED_SPECIALLY = _RECORD_TYPES | {_FUNCTION_POINTER_TYPE}
_ARRAY_TYPE = type(ctypes.Array)
# what a library's functions return unless told otherwise (`_func_restype_` of CDLL, PyDLL, WinDLL)
_LIBRARY_RESTYPE = ctypes.c_int


def _is_unsupported(ctype):
    """Whether `ctype` stands for a type ctypes lacks (the records part's `_unsupported_type`, or
    a typedef's aligned subclass of one): asked of records' classes only, as getattr() of an
    attribute a class lacks raises and formats an AttributeError, 0.3 us for each new type."""
    return type(ctype) in _RECORD_TYPES and getattr(ctype, "_lazybind_unsupported_", False)


# the address of a library's symbol (OSError when absent): POSIX only
_dlsym = getattr(_ctypes, "dlsym", None)


def _function_pointer(library, name, signature):
    """`library[name]` given its signature (see Binding._signature), without CDLL.__getitem__'s
    Python frame. Made from the symbol's address: `_FuncPtr((name, library))` costs twice as
    much (it parses the tuple, reads the library's `_handle` by a name it makes, and keeps the
    library alive from the function, which needs no keeping: ctypes never closes a library).
    Windows has no dlsym."""
    function = library._FuncPtr((name, library) if _WINDOWS else _dlsym(library._handle, name))
    function.__name__ = name
    restype, function.argtypes, errcheck, _ = signature
    if restype is not _LIBRARY_RESTYPE:  # (ctypes' restype setter costs a first use 0.3-0.4 us)
        function.restype = restype
    if errcheck is not None:
        function.errcheck = errcheck
    return function


def _value(spec):
    """A constant from its value spec (the format: lazybind/runtime/__init__.py)."""
    tag, text = spec[0], spec[1:]
    if tag == "i" or tag == "a":
        return int(text)
    if tag == "f":
        return float(text)
    if tag == "s":
        return bytes.fromhex(text)
    if tag == "w":  # a wide string (Windows' L"..." and TEXT("...") under UNICODE)
        return bytes.fromhex(text).decode("utf-8", "surrogatepass")
    return None


# what builds each kind of declaration; a kind built by a part loads it first (_need gives None)
_MATERIALIZERS = {
    KIND_FUNCTION: Binding._function,
    KIND_VARIABLE: lambda binding, *entry: _need("variables") or _variable(binding, *entry),
    KIND_RECORD: lambda binding, index, name, ref: _need("records") or binding.record_class(index),
    KIND_ENUM: Binding._type_entry,
    KIND_TYPEDEF: Binding._type_entry,
    KIND_CONSTANT: Binding._constant,
    KIND_ALIAS: Binding._alias,
    KIND_MACRO_CALL: lambda binding, *entry: _need("macros") or binding._macro_call(*entry),
}


def install(namespace, path, directory, load_part):
    """Called by a generated module's bootstrap: returns the module's new `__getattr__`.
    `load_part(name)` gives a runtime part's code (from that module's file)."""
    global _load_part
    if _load_part is None:
        _load_part = load_part
    try:
        data = Data(path, directory)
    except OSError:  # not a plain file (in a zip): its loader has the bytes
        data = Data(path, directory, namespace["__loader__"].get_data(path))
    binding = Binding(namespace, data)
    namespace["__dir__"] = lambda: _need("tools") or binding.all_names() + ["__lazybind__"]
    return binding.getattr
