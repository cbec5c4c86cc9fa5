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


@pytest.fixture(scope="session")
def gen_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("generated")


@pytest.fixture(scope="session")
def zlib_path(gen_dir):
    out = gen_dir / "zlib_ffi.py"
    lazybind.generate(["zlib.h"], library="z", output=str(out))
    return out


@pytest.fixture(scope="session")
def sqlite_path(gen_dir):
    out = gen_dir / "sqlite_ffi.py"
    lazybind.generate(["sqlite3.h"], library="sqlite3", output=str(out))
    return out


def bind_text(directory, stem, text, **options):
    """Write `text` as DIRECTORY/STEM.h and generate DIRECTORY/STEM_ffi.py from it; return that path."""
    header = directory / f"{stem}.h"
    header.write_text(text)
    out = directory / f"{stem}_ffi.py"
    lazybind.generate([str(header)], output=str(out), **options)
    return out


@pytest.fixture(scope="session")
def libc_path(gen_dir):
    return bind_text(gen_dir, "libc", LIBC_WRAPPER, library=["c", "m"])


@pytest.fixture(scope="session")
def zlib_mod(zlib_path):
    return import_path(zlib_path)


@pytest.fixture(scope="session")
def sqlite_mod(sqlite_path):
    return import_path(sqlite_path)


@pytest.fixture(scope="session")
def libc_mod(libc_path):
    return import_path(libc_path)


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

    def counting(index, lookup):
        lookups.append(binding.name_at(index))
        return original(index, lookup)

    binding._symbol = counting
    return lookups
