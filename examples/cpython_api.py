"""The running interpreter's own C API, bound from its Python.h with `--library @python`:
objects built by C, reference counts read from the struct layout, exceptions raised by C.

    python examples/cpython_api.py
"""

import ctypes
import sys
import sysconfig

from example_binding import bind

api = bind("cpython_ffi", ["Python.h"], library="@python",
           include_dirs=[sysconfig.get_paths()["include"]])
PyObject_p = ctypes.POINTER(api.PyObject)


def borrowed(value):
    """A PyObject * for a Python object, valid while the object lives."""
    return ctypes.cast(id(value), PyObject_p)


def take(new_reference):
    """The Python object a C function returned a new reference to; that reference is released."""
    value = ctypes.cast(new_reference, ctypes.py_object).value
    api.Py_DecRef(new_reference)
    return value


print("Py_GetVersion: %s" % api.Py_GetVersion().decode())
print("PY_VERSION=%s PY_VERSION_HEX=%#x" % (api.PY_VERSION.decode(), api.PY_VERSION_HEX))

squares = api.PyList_New(0)
for number in range(10):
    item = api.PyLong_FromLong(number * number)
    api.PyList_Append(squares, item)  # the list takes its own reference
    api.Py_DecRef(item)
print("PyList of squares: %r" % take(squares))

big = take(api.PyLong_FromString(b"123456789" * 5, None, 10))
print("PyNumber_Multiply: %d" % take(api.PyNumber_Multiply(borrowed(big), borrowed(big))))
print("PyUnicode_FromString: %s" % take(api.PyUnicode_FromString("h\u00e9llo, w\u00f6rld".encode())))
print("PyLong_AsLong(2**40): %d" % api.PyLong_AsLong(borrowed(2 ** 40)))

thing = object()
header = borrowed(thing).contents  # struct _object: ob_refcnt, ob_type
# sys.getrefcount counts one more: the reference its own argument holds
print("ob_refcnt of an object: %d, sys.getrefcount: %d" % (header.ob_refcnt, sys.getrefcount(thing)))
print("ob_type->tp_name of a dict: %s" % borrowed({}).contents.ob_type.contents.tp_name.decode())
try:
    api.PyLong_AsLong(borrowed("not a number"))  # C sets TypeError; ctypes raises it here
except TypeError as error:
    print("PyLong_AsLong(str) raised TypeError: %s" % error)
