"""`--library @python`: the running interpreter's own C API, called holding the GIL."""

from __future__ import annotations

import ctypes
import subprocess
import sys

import pytest

from conftest import bind_text, import_path

API = """\
typedef struct _object PyObject;
const char *Py_GetVersion(void);
long PyLong_AsLong(PyObject *value);
PyObject *PyFloat_FromDouble(double value);
void Py_DecRef(PyObject *value);
"""


@pytest.fixture(scope="module")
def capi(tmp_path_factory):
    return import_path(bind_text(tmp_path_factory.mktemp("capi"), "capi", API, library="@python"))


def test_the_interpreter_itself_answers(capi):
    assert capi.Py_GetVersion() == sys.version.encode()
    assert capi.__lazybind__.library_path == [sys.executable]  # the running process


def test_calls_hold_the_gil_so_python_errors_surface(capi):
    # ctypes checks for a pending Python exception only after a call that held the GIL (PyDLL)
    assert capi.PyLong_AsLong.__class__._flags_ & ctypes._FUNCFLAG_PYTHONAPI
    with pytest.raises(TypeError):
        capi.PyLong_AsLong(ctypes.cast(id("not an int"), ctypes.POINTER(capi.PyObject)))
    value = capi.PyFloat_FromDouble(2.5)
    assert ctypes.cast(value, ctypes.py_object).value == 2.5
    capi.Py_DecRef(value)


def test_other_at_names_are_bad_input(tmp_path):
    header = tmp_path / "one.h"
    header.write_text("int one(void);\n")
    result = subprocess.run([sys.executable, "-m", "lazybind.cli", "generate", str(header),
                             "--library", "@self", "-o", str(tmp_path / "one.py")],
                            capture_output=True, text=True)
    assert result.returncode == 2 and "@self" in result.stderr
