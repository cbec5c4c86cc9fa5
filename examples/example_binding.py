"""How the examples get their bindings: generated from the system's own headers with the lazybind
Python API, into $LAZYBIND_EXAMPLE_DIR (the tests set it, then check what was generated) or
else into a temporary directory removed at exit."""

from __future__ import annotations

import atexit
import importlib.util
import os
import shutil
import sys
import tempfile
from types import ModuleType
from typing import Sequence

import lazybind


_temporary = []


def output_dir() -> str:
    """$LAZYBIND_EXAMPLE_DIR, or one temporary directory for this run, removed at exit."""
    directory = os.environ.get("LAZYBIND_EXAMPLE_DIR")
    if directory:
        return directory
    if not _temporary:
        _temporary.append(tempfile.mkdtemp(prefix="lazybind-example-"))
        atexit.register(shutil.rmtree, _temporary[0], True)
    return _temporary[0]


def bind(name: str, headers: Sequence[str], **options) -> ModuleType:
    """Generate NAME.py from `headers` (options as for lazybind.generate) and import it."""
    path = os.path.join(output_dir(), name + ".py")
    lazybind.generate(list(headers), output=path, **options)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
