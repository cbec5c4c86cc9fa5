"""lazybind runtime, info: the class of `module.__lazybind__`, which is made the first time it is
asked for (Binding.info); its methods are the tools and kernel parts', added as they load. Runs
in the runtime's shared namespace (see core.py). Standard library only.
"""

_ERRORS = ("MissingSymbolError", "LibraryNotFoundError", "LayoutError", "UnsupportedTypeError")


class Info:
    """`module.__lazybind__`: what the module knows about itself, and helpers for C idioms. Its
    methods are in the tools part, loaded the first time one is asked for."""

    def __init__(self, binding):
        self._binding = binding
        self.libraries = tuple(spec["name"] for spec in binding._library_specs)

    def __getattr__(self, name):
        if name in _ERRORS:  # MissingSymbolError and the others, for `except` clauses
            return _error(name)
        part = "kernel" if name in ("ioctl", "syscall", "IOC") else "tools"
        if name.startswith("__") or part in _parts:
            raise AttributeError("__lazybind__ has no attribute %r" % name)
        _need(part)
        return getattr(self, name)


class _BindingInfo:
    """Binding's method for `__lazybind__` (mixed into Binding when this part loads)."""

    def info(self):
        """The module's `__lazybind__`, made once."""
        with self._lock:
            info = self._namespace.get("__lazybind__")
            if info is None:
                info = self._namespace["__lazybind__"] = Info(self)
        return info


_mix_in(Binding, _BindingInfo)
