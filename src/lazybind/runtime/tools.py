"""lazybind runtime, tools: `module.__lazybind__`'s methods (what the module knows about itself,
the names it holds, its layouts checked again, `scoped`, `with_errno`, `holding_gil`, callback
handles) and the module's `__dir__`, meta and docstrings. Runs in the runtime's shared namespace
(see core.py), loaded the first time one of them is asked for. Standard library only.
"""

import ctypes
import os

_need("info")  # Info, whose methods this part adds


class _Tools:
    """Info's methods (mixed into Info when this part loads)."""

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
        """The C names built so far: those the module's namespace holds."""
        namespace = self._binding._namespace
        return [name for _, name, _, _ in self._binding._data.entries() if name in namespace]

    def names(self):
        return self._binding.all_names()

    def selftest(self):
        return self._binding.selftest()

    @property
    def backend(self):
        """"compiled" when the module's compiled extension is in use, else "ctypes"."""
        binding = self._binding
        _need("compiled")
        return "ctypes" if binding._extension is None or binding.extension() is None else "compiled"

    def with_errno(self, function):
        """A variant of a resolved C function that saves errno for ctypes.get_errno(). The plain
        function does not: saving errno costs every call, and most calls do not need it."""
        function = getattr(function, "_ctypes_", function)  # a compiled function's ctypes twin
        return _retyped(function, ctypes.CFUNCTYPE, use_errno=True)

    def with_last_error(self, function, failed=None):
        """Windows: a variant of a resolved C function whose calls save GetLastError() for
        ctypes.get_last_error() (the plain function does not: saving it costs every call). With
        `failed` (e.g. `lambda result: not result`), a call whose result it says is a failure
        raises ctypes.WinError(ctypes.get_last_error()) instead of returning."""
        if not hasattr(ctypes, "get_last_error"):
            raise OSError("with_last_error: GetLastError is Windows'; elsewhere, use with_errno")
        function = getattr(function, "_ctypes_", function)  # a compiled function's ctypes twin
        stdcall = not function._flags_ & ctypes._FUNCFLAG_CDECL
        variant = _retyped(function, ctypes.WINFUNCTYPE if stdcall else ctypes.CFUNCTYPE,
                           use_last_error=True)
        if failed is not None:
            def check(result, called, arguments):
                if failed(result):
                    raise ctypes.WinError(ctypes.get_last_error())
                return result

            variant.errcheck = check
        return variant

    def holding_gil(self, function):
        """A variant of a resolved C function that keeps the GIL during the C call, for short
        calls in a hot loop: releasing the GIL and taking it back costs more than such a call.
        Other threads wait while it runs, so not for calls that block or run long."""
        _need("compiled")
        extension = self._binding._extension and self._binding.extension()
        if extension is not None and type(function).__name__ == "compiled_function":
            return extension.holding_gil(function)
        return _retyped(function, ctypes.PYFUNCTYPE)

    @staticmethod
    def callback(prototype, function):
        """A handle keeping `function` callable from C until closed (or its `with` block ends):
        for a callback C stores, e.g. sqlite3_create_function_v2. `prototype` is a function
        pointer type: a typedef of the module or a parameter's type, `f.argtypes[i]`."""
        _need("callbacks")
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




class _BindingTools:
    """Binding's methods for the tools (mixed into Binding when this part loads)."""

    @property
    def meta(self):
        """The meta section, parsed (and json imported) once."""
        meta = self._types.get("meta")
        if meta is None:
            import json

            meta = self._types["meta"] = json.loads(self._data.section("meta")[0])
        return meta

    def index_of(self, name):
        found = find(self._data, name)
        return -1 if found is None else found[0]

    def selftest(self):
        """Build every record and compare it with the layout embedded at generation (clang's,
        confirmed by the C compiler when one was there: see `layouts`); return the problems."""
        return list(self.refusals((KIND_RECORD,)).values())

    def inexact(self):
        """{index: why} for each record or typedef built so far whose ctypes alignment cannot be
        C's on this Python (usable all the same: sizes and offsets are C's)."""
        found = {key[1]: why for key, why in self._inexact.items() if key[0] == "record"}
        if len(found) < len(self._inexact):  # an aligned typedef: found by its spec, among all
            for index, _, kind, ref in self._data.entries():
                if kind == KIND_TYPEDEF and ("aligned", ref) in self._inexact:
                    found[index] = self._inexact["aligned", ref]
        return dict(sorted(found.items()))

    def refusals(self, kinds=(KIND_RECORD, KIND_FUNCTION, KIND_VARIABLE, KIND_TYPEDEF, KIND_ENUM)):
        """{index: why} for each declaration of `kinds` this module refuses at use, found by
        building what a use builds: classes, types and prototypes (no library is opened)."""
        found = {}
        _need("records")
        with self._lock:
            for index, name, kind, ref in self._data.entries():
                if kind not in kinds:
                    continue
                try:
                    if kind == KIND_RECORD:
                        self.record_class(index)
                    elif kind == KIND_FUNCTION:
                        self._signatures.get(ref) or self._signature(ref, name)
                    else:
                        self.ctype(ref)
                except (LayoutError, UnsupportedTypeError) as error:
                    found[index] = str(error)
            self._complete_pending()
        return found

    def all_names(self):
        return [name for _, name, _, _ in self._data.entries()]

    def _document(self, library):
        """Give the functions of `library` (a CDLL of its own class of functions) the header
        comment as their help(), decompressed on the first ask."""
        library._FuncPtr.__doc__ = property(lambda f: self.doc_of(f.__name__))

    def doc_of(self, name):
        """The header comment of function `name` (kept with --docstrings), or None."""
        docs = self._types.get("docs")
        if docs is None:
            import base64
            import json
            import zlib

            docs = self._types["docs"] = json.loads(zlib.decompress(base64.b64decode(
                "".join(self._data.section("docs")))))
        return docs.get(str(self.index_of(name)))


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


class _DataTools:
    """Data's methods for tools (mixed into Data when this part loads)."""

    @property
    def count(self):
        """The number of declarations."""
        return self.where("count")[0]

    def entries(self):
        """(index, name, kind, ref) of every declaration, in index order: the whole names
        section, for tools that go through them all. Kept for tables in memory (generation
        reads them twice, the check and the refusals), not for a module file's."""
        found = self.__dict__.get("_entries")
        if found is not None:
            return found
        found = []
        where = self.where("names")
        # "#:NAME NUMBER" lines, some with spaces before or after (see find): no name has one
        words = self.read(where[0], where[1] - where[0]).decode("utf-8").split()
        for line_start, number in zip(words[::2], words[1::2]):
            number = int(number, 36)  # (packed as `find` reads it)
            found.append((number & self.index_mask, line_start[2:],
                          number >> self.index_bits & KIND_MASK, number >> self.ref_shift))
        found.sort()
        if self.path is None:
            self._entries = found
        return found


def _architecture(name):
    name = name.lower()
    if name in ("i386", "i486", "i586", "i686", "x86"):
        return "i686"
    return {"amd64": "x86_64", "arm64": "aarch64"}.get(name, name)


def _foreign_target(target_lines):
    """Why a module made with --target for another architecture or system (Windows or not)
    cannot build its types and functions here ("" when it can): ctypes lays out only this
    interpreter's ABI."""
    if not target_lines:
        return ""
    windows = sys.platform == "win32"
    if windows:  # the process's own architecture (a 32-bit Python on 64-bit Windows: x86)
        here = os.environ.get("PROCESSOR_ARCHITECTURE", "AMD64") + "-windows"
    else:
        here = getattr(sys.implementation, "_multiarch", "") or os.uname().machine
    triple = target_lines[0]
    wanted, actual = _architecture(triple.split("-")[0]), _architecture(here.split("-")[0])
    if wanted == actual and windows == any(w in triple for w in ("mingw", "windows", "win32")):
        return ""
    return ("the module was generated with --target %s, for another system or architecture than "
            "this interpreter's (%s): only its constants can be used here" % (triple, here))


def data_of_file(path):
    """The Data of a generated module's file, or None when it is no lazybind module: the
    directory is read from the bootstrap (`_at="..."`) in the module, or in its --data-file."""
    for candidate in (path, os.path.splitext(path)[0] + DATA_SUFFIX):
        if candidate != path and not os.path.exists(candidate):
            break
        with open(candidate, "rb") as handle:
            head = handle.read(1 << 16)
        at = head.find(b'_at="')
        if at >= 0:
            directory = head[at + 5:head.index(b'"', at + 5)].decode("ascii")
            return Data(candidate, directory)
    return None


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


_mix_in(Info, _Tools)
_mix_in(Data, _DataTools)
_mix_in(Binding, _BindingTools)
