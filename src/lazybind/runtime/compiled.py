"""lazybind runtime, the compiled fast path: a module's extension (lazybind.emit.extension), loaded
with the first function when the module has one, and its functions bound to the library's
symbols; arguments the extension does not convert itself go to the ctypes function. Runs in the
runtime's shared namespace (see core.py). Standard library only.
"""

import ctypes
import os


class _Compiled:
    """Binding's methods for the compiled fast path (mixed into Binding when this part loads)."""

    def extension(self):
        """The module's compiled extension, or None; loaded on the first function access."""
        if self._extension is _ABSENT:
            with self._lock:
                if self._extension is _ABSENT:
                    self._extension = load_extension(
                        self._namespace.get("__file__"), self._data.section("compiled"))
        return self._extension

    def _compiled_function(self, index, name, signature):
        """The extension's function `name`, or None when the extension does not load or has no
        slot for it (the ctypes function is made instead)."""
        extension = self.extension()
        slot = -1 if extension is None else extension.slot(index)
        if slot < 0:
            return None
        return self._symbol(index, name, self._bind_compiled, (slot, signature))

    def _bind_compiled(self, library, name, slot_and_signature):
        """The extension's function for `name` in `library` (AttributeError when it lacks it),
        from its slot in the extension and its signature (see Binding._signature). Calls with
        arguments the extension does not convert itself go to the ctypes function."""
        slot, signature = slot_and_signature
        restype, argtypes, errcheck, _ = signature
        fallback = _CtypesCall(lambda: _function_pointer(library, name, signature))
        if library is ctypes.pythonapi:
            return fallback.function()  # the C API is called holding the GIL; the extension drops it
        # the extension calls the callback check (errcheck) only for functions taking callbacks
        context = (fallback, _marker(restype), ctypes.Array, errcheck, slot, True) + tuple(
            _marker(t) for t in argtypes)  # the layout compiled_prelude.c describes
        function = self._extension.bind(library._handle, context)
        return fallback.function() if function is None else function


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


_mix_in(Binding, _Compiled)
