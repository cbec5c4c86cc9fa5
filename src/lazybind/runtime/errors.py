"""lazybind runtime, errors: the exception classes a module raises, and the Binding methods that
word an error about a declaration (where it is declared, why its symbol is missing). Runs in the
runtime's shared namespace (see core.py), loaded before any other part, and by the core on its
first error (`_error`): creating exception classes costs a first use that raises none of them
tens of microseconds. Standard library only.
"""

import sys


class MissingSymbolError(AttributeError):
    """A declared function or variable that no library of the module exports."""


class LibraryNotFoundError(OSError):
    """None of the ways to find a library worked; the message lists what was tried."""


class LayoutError(TypeError):
    """ctypes cannot lay out a record the way the C compiler does; it is refused, not guessed."""


class UnsupportedTypeError(TypeError):
    """A declaration uses a C type ctypes cannot express (e.g. __int128 by value)."""


def _location(binding, index):
    """Where the declaration at `index` is declared: "header:line"."""
    packed = binding._data.fixed("locations", index, LOCATION_WIDTH)
    files = binding._data.section("files")
    return "%s:%d" % (files[packed >> LINE_BITS], packed & ((1 << LINE_BITS) - 1))


def _missing_symbol(binding, index, name):
    """The error of a function or variable that no library of the module exports."""
    where = "%s (declared at %s)" % (name, binding.location(index))
    libraries = binding._libraries
    if not libraries:
        return MissingSymbolError(where + ": this module was generated without --library")
    return MissingSymbolError("%s is not exported by %s" % (where, ", ".join(
        library._name or sys.executable for library in libraries)))  # None: the running process


# methods, not a class of them mixed in: every part loads this one first
Binding.location, Binding._missing_symbol = _location, _missing_symbol
