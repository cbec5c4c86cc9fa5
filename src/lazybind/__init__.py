"""lazybind: lazy, compact, verified Python bindings generated from C headers.

Importing this package loads nothing heavy: libclang is loaded by the first call that parses.
"""

from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["generate", "inspect", "check", "__version__"]


def generate(headers, library=None, output=None, stubs=False, **options):
    """Generate a binding module for `headers`; return its source text (and write it to `output`)."""
    from .api import generate as _generate

    return _generate(headers, library=library, output=output, stubs=stubs, **options)


def inspect(headers, **options):
    """Return the intermediate representation (`lazybind.ir.Declarations`) of `headers`."""
    from .api import inspect as _inspect

    return _inspect(headers, **options)


def check(module_path):
    """Verify a generated module's layouts and constants against the system C compiler."""
    from .api import check as _check

    return _check(module_path)
