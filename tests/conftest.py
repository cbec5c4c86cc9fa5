"""Shared fixtures: modules generated once per session, and the C compiler as an oracle."""

from __future__ import annotations

import importlib.util
import itertools
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import lazybind

LIBC_WRAPPER = """\
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <math.h>
"""

_counter = itertools.count()


def import_path(path, name=None):
    """Import a generated module from its file under a fresh name (no sys.path games)."""
    name = name or f"lb_test_{Path(path).stem}_{next(_counter)}"
    spec = importlib.util.spec_from_file_location(name, str(path))
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def run_c(tmp_path, source, args=()):
    """Compile and run a C program with the system compiler; return its stdout."""
    cc = shutil.which("cc")
    assert cc, "the tests need a C compiler (cc)"
    c_file = tmp_path / f"probe_{next(_counter)}.c"
    exe = c_file.with_suffix("")
    c_file.write_text(source)
    subprocess.run([cc, "-w", "-o", str(exe), str(c_file), *args], check=True)
    return subprocess.run([str(exe)], check=True, capture_output=True, text=True).stdout


@pytest.fixture(scope="session", autouse=True)
def load_cache(tmp_path_factory):
    """lazybind.load()'s cache for the session (docs and examples run in child processes inherit
    it): tests never write into the user's ~/.cache/lazybind."""
    directory = tmp_path_factory.mktemp("load-cache")
    os.environ["LAZYBIND_CACHE_DIR"] = str(directory)
    yield directory
    os.environ.pop("LAZYBIND_CACHE_DIR", None)


# The behaviour tests run against both backends of a generated module: plain ctypes, and the
# compiled fast path (lazybind generate --compiled), which must give identical results.
BACKENDS = ["ctypes", "compiled"]


@pytest.fixture(scope="session")
def gen_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("generated")


@pytest.fixture(scope="session")
def compiled_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("compiled")


@pytest.fixture(scope="session")
def zlib_path(gen_dir):
    return bind_header(gen_dir, "zlib", ["zlib.h"], library="z")


@pytest.fixture(scope="session")
def sqlite_path(gen_dir):
    return bind_header(gen_dir, "sqlite", ["sqlite3.h"], library="sqlite3")


@pytest.fixture(scope="session")
def zlib_compiled_path(compiled_dir):
    return bind_header(compiled_dir, "zlib", ["zlib.h"], library="z", compiled=True)


@pytest.fixture(scope="session")
def sqlite_compiled_path(compiled_dir):
    return bind_header(compiled_dir, "sqlite", ["sqlite3.h"], library="sqlite3", compiled=True)


def bind_header(directory, stem, headers, **options):
    """Generate DIRECTORY/STEM_ffi.py from `headers`; return that path."""
    out = directory / f"{stem}_ffi.py"
    lazybind.generate(headers, output=str(out), **options)
    return out


def bind_text(directory, stem, text, **options):
    """Write `text` as DIRECTORY/STEM.h and generate DIRECTORY/STEM_ffi.py from it; return that path."""
    header = directory / f"{stem}.h"
    header.write_text(text)
    return bind_header(directory, stem, [str(header)], **options)


@pytest.fixture(scope="session")
def libc_path(gen_dir):
    return bind_text(gen_dir, "libc", LIBC_WRAPPER, library=["c", "m"])


@pytest.fixture(scope="session")
def libc_compiled_path(compiled_dir):
    return bind_text(compiled_dir, "libc", LIBC_WRAPPER, library=["c", "m"], compiled=True)


def _backend_module(request, stem):
    """The module STEM_ffi on the backend the test is parametrized with (asserted in use)."""
    suffix = "_path" if request.param == "ctypes" else "_compiled_path"
    module = import_path(request.getfixturevalue(stem + suffix))
    assert module.__lazybind__.backend == request.param
    return module


@pytest.fixture(scope="session", params=BACKENDS)
def zlib_mod(request):
    return _backend_module(request, "zlib")


@pytest.fixture(scope="session", params=BACKENDS)
def sqlite_mod(request):
    return _backend_module(request, "sqlite")


@pytest.fixture(scope="session", params=BACKENDS)
def libc_mod(request):
    return _backend_module(request, "libc")


def python_in_subprocess(code, cwd=None, env=None):
    """Run Python code in a fresh interpreter; return stdout (fails the test on error)."""
    full_env = dict(os.environ, **(env or {}))
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=cwd, env=full_env)
    assert result.returncode == 0, result.stderr
    return result.stdout


def record_symbol_lookups(binding):
    """Make a module's runtime note each symbol it looks up in its libraries; return the list."""
    lookups = []
    original = binding._symbol

    def counting(index, name, lookup, argument):
        lookups.append(name)
        return original(index, name, lookup, argument)

    binding._symbol = counting
    return lookups
