/* A hand-written CPython extension for the steady-call benchmark: what a careful person writes
 * for these three calls, METH_FASTCALL, checked conversions. Each function comes twice: holding
 * the GIL during the C call (the usual choice for a short call), and releasing it around the
 * call, as ctypes, cffi and lazybind's compiled path do for every call. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <sqlite3.h>
#include <zlib.h>

static int crc32_arguments(PyObject *const *args, Py_ssize_t nargs, unsigned long *crc,
                           Py_buffer *view, unsigned int *length) {
    unsigned long converted;
    if (nargs != 3) {
        PyErr_SetString(PyExc_TypeError, "crc32(crc, buffer, length)");
        return -1;
    }
    *crc = PyLong_AsUnsignedLong(args[0]);
    if (*crc == (unsigned long)-1 && PyErr_Occurred())
        return -1;
    converted = PyLong_AsUnsignedLong(args[2]);
    if (converted == (unsigned long)-1 && PyErr_Occurred())
        return -1;
    if (converted > UINT_MAX) {
        PyErr_SetString(PyExc_OverflowError, "length does not fit in unsigned int");
        return -1;
    }
    *length = (unsigned int)converted;
    view->obj = NULL;
    view->buf = NULL;
    if (args[1] != Py_None && PyObject_GetBuffer(args[1], view, PyBUF_SIMPLE) < 0)
        return -1;
    return 0;
}

/* `release` is a constant at each call site: the compiler makes two specialized copies. */
static inline PyObject *crc32_call(PyObject *const *args, Py_ssize_t nargs, int release) {
    unsigned long crc, result;
    unsigned int length;
    Py_buffer view;
    PyThreadState *state = NULL;
    if (crc32_arguments(args, nargs, &crc, &view, &length) < 0)
        return NULL;
    if (release)
        state = PyEval_SaveThread();
    result = crc32(crc, view.buf, length);
    if (release)
        PyEval_RestoreThread(state);
    if (view.obj != NULL)
        PyBuffer_Release(&view);
    return PyLong_FromUnsignedLong(result);
}

static PyObject *hand_crc32(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    return crc32_call(args, nargs, 0);
}

static PyObject *hand_crc32_nogil(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    return crc32_call(args, nargs, 1);
}

static PyObject *hand_version(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    return PyLong_FromLong(sqlite3_libversion_number());
}

static PyObject *hand_version_nogil(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    int result;
    Py_BEGIN_ALLOW_THREADS
    result = sqlite3_libversion_number();
    Py_END_ALLOW_THREADS
    return PyLong_FromLong(result);
}

static PyMethodDef methods[] = {
    {"crc32", (PyCFunction)(void (*)(void))hand_crc32, METH_FASTCALL, NULL},
    {"crc32_nogil", (PyCFunction)(void (*)(void))hand_crc32_nogil, METH_FASTCALL, NULL},
    {"sqlite3_libversion_number", (PyCFunction)(void (*)(void))hand_version, METH_FASTCALL, NULL},
    {"sqlite3_libversion_number_nogil", (PyCFunction)(void (*)(void))hand_version_nogil,
     METH_FASTCALL, NULL},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "hand_ext", NULL, -1, methods};

PyMODINIT_FUNC PyInit_hand_ext(void) {
    return PyModule_Create(&module);
}
