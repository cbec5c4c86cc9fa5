"""lazybind runtime, errors: the exception classes a module raises. Runs in the runtime's shared
namespace (see core.py), loaded before any other part, and by the core on its first
error (`_error`): creating exception classes costs a first use that raises none of them tens of
microseconds. Standard library only.
"""


class MissingSymbolError(AttributeError):
    """A declared function or variable that no library of the module exports."""


class LibraryNotFoundError(OSError):
    """None of the ways to find a library worked; the message lists what was tried."""


class LayoutError(TypeError):
    """ctypes cannot lay out a record the way the C compiler does; it is refused, not guessed."""


class UnsupportedTypeError(TypeError):
    """A declaration uses a C type ctypes cannot express (e.g. __int128 by value)."""
