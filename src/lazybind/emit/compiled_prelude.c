/* The first fixed part of every lazybind extension: argument and result conversions. The
 * generated part that follows it holds the wrappers (one per signature shape) and the tables;
 * compiled_module.c ends the file with the module itself.
 *
 * A wrapper converts what it can convert exactly and hands every other call to the ctypes
 * function of the same name (the `fallback` of its context), so an argument this file does not
 * know (byref(), a ctypes array of another type, an object with _as_parameter_) is accepted or
 * refused exactly as the ctypes backend does. The context is a tuple written by the runtime:
 *   (fallback, result marker, ctypes.Array, callback error check, slot, release the GIL?,
 *    parameter marker...)
 * A marker is the ctypes type of a result or parameter, except `bytes` for c_char_p (a char *
 * that takes and gives bytes) and `int` for c_void_p (a void * that takes and gives ints). */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <dlfcn.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>

enum { LB_OK = 0, LB_CTYPES = 1, LB_ERROR = -1 };
typedef PyObject *(*lb_wrapper)(PyObject *context, PyObject *const *args, Py_ssize_t nargs);
#define LB_FALLBACK 0
#define LB_RESULT 1
#define LB_ARRAY 2
#define LB_CALLBACK_CHECK 3
#define LB_SLOT 4
#define LB_RELEASE_GIL 5
#define LB_PARAMETER(i) (6 + (i))

/* A ctypes instance starts with its object header and the address of its storage. Reading it
 * directly costs nothing; the buffer protocol, which gives the same address, costs ~30 ns a call.
 * Only objects whose type is exactly a ctypes type the runtime handed over are read this way. */
typedef struct {
    PyObject_HEAD
    char *b_ptr;
} lb_cdata;

static int lb_overflow(Py_ssize_t position, PyObject *value, const char *ctype) {
    PyErr_Format(PyExc_OverflowError, "argument %zd: %R does not fit in %s", position + 1, value, ctype);
    return LB_ERROR;
}

/* Python int -> C signed integer in [low, high]; out of range is an OverflowError, never a
 * truncation. Anything but an int goes to ctypes. */
static inline int lb_signed(PyObject *value, Py_ssize_t position, long long low, long long high,
                            const char *ctype, long long *out) {
    int overflow;
    long long converted;
    if (!PyLong_Check(value))
        return LB_CTYPES;
    converted = PyLong_AsLongLongAndOverflow(value, &overflow);
    if (overflow || converted < low || converted > high)
        return lb_overflow(position, value, ctype);
    if (converted == -1 && PyErr_Occurred())
        return LB_ERROR;
    *out = converted;
    return LB_OK;
}

static inline int lb_unsigned(PyObject *value, Py_ssize_t position, unsigned long long high,
                              const char *ctype, unsigned long long *out) {
    int overflow;
    long long small;
    unsigned long long converted;
    if (!PyLong_Check(value))
        return LB_CTYPES;
    small = PyLong_AsLongLongAndOverflow(value, &overflow);
    if (small == -1 && !overflow && PyErr_Occurred())
        return LB_ERROR;
    if (overflow == 0) {
        if (small < 0 || (unsigned long long)small > high)
            return lb_overflow(position, value, ctype);
        *out = (unsigned long long)small;
        return LB_OK;
    }
    if (overflow < 0)
        return lb_overflow(position, value, ctype);
    converted = PyLong_AsUnsignedLongLong(value);  /* above LLONG_MAX */
    if (converted == (unsigned long long)-1 && PyErr_Occurred()) {
        PyErr_Clear();
        return lb_overflow(position, value, ctype);
    }
    if (converted > high)
        return lb_overflow(position, value, ctype);
    *out = converted;
    return LB_OK;
}

/* c_bool takes any object by its truth value, as ctypes does. */
static inline int lb_bool(PyObject *value, int *out) {
    int truth = PyObject_IsTrue(value);
    if (truth < 0)
        return LB_ERROR;
    *out = truth;
    return LB_OK;
}

/* c_double and c_float take floats and ints; a subclass or an int too large for a double goes to
 * ctypes, which converts or refuses it in its own words. */
static inline int lb_double(PyObject *value, double *out) {
    double converted;
    if (PyFloat_CheckExact(value)) {
        *out = PyFloat_AS_DOUBLE(value);
        return LB_OK;
    }
    if (!PyLong_Check(value))
        return LB_CTYPES;
    converted = PyLong_AsDouble(value);
    if (converted == -1.0 && PyErr_Occurred()) {
        PyErr_Clear();
        return LB_CTYPES;
    }
    *out = converted;
    return LB_OK;
}

/* A pointer parameter: None is NULL; bytes, bytearray and memoryview give their memory (a
 * bytearray or memoryview is held in `view` for the call, so it cannot be resized meanwhile); an
 * instance of exactly the declared pointer type gives the address it holds; a void * also takes
 * an int address and any ctypes array, as c_void_p does. */
static inline int lb_pointer(PyObject *value, PyObject *declared, PyObject *array_base,
                             Py_buffer *view, void **out) {
    PyTypeObject *type = Py_TYPE(value);
    if (value == Py_None) {
        *out = NULL;
        return LB_OK;
    }
    if (type == &PyBytes_Type) {
        *out = PyBytes_AS_STRING(value);
        return LB_OK;
    }
    if (declared != (PyObject *)&PyLong_Type && (PyObject *)type == declared) {
        *out = *(void **)((lb_cdata *)value)->b_ptr;
        return LB_OK;
    }
    if (declared == (PyObject *)&PyLong_Type && type == &PyLong_Type) {
        unsigned long long address = PyLong_AsUnsignedLongLong(value);
        if (address == (unsigned long long)-1 && PyErr_Occurred()) {
            PyErr_Clear();
            return LB_CTYPES;
        }
        if (address > UINTPTR_MAX)
            return LB_CTYPES;
        *out = (void *)(uintptr_t)address;
        return LB_OK;
    }
    if (type == &PyByteArray_Type || PyMemoryView_Check(value) ||
        (declared == (PyObject *)&PyLong_Type && PyObject_TypeCheck(value, (PyTypeObject *)array_base))) {
        if (PyObject_GetBuffer(value, view, PyBUF_SIMPLE) < 0) {
            PyErr_Clear();
            view->obj = NULL;
            return LB_CTYPES;
        }
        *out = view->buf;
        return LB_OK;
    }
    return LB_CTYPES;
}

/* A function pointer parameter: the ctypes callback type's from_param makes the thunk of a
 * Python callable (or takes a __lazybind__.callback handle), as for the ctypes backend; the thunk
 * holds the address. It is kept in `thunk` until the call returns, as ctypes keeps converted
 * arguments. Anything from_param refuses, or gives as another type, goes to ctypes. */
static int lb_callback(PyObject *value, PyObject *declared, PyObject **thunk, void **out) {
    PyObject *converted;
    if (value == Py_None) {
        *out = NULL;
        return LB_OK;
    }
    converted = PyObject_CallMethod(declared, "from_param", "O", value);
    if (converted == NULL) {
        PyErr_Clear();
        return LB_CTYPES;
    }
    *thunk = converted;
    if ((PyObject *)Py_TYPE(converted) != declared)
        return LB_CTYPES;
    *out = *(void **)((lb_cdata *)converted)->b_ptr;
    return LB_OK;
}

/* After a call that took callbacks: re-raise an exception a callback raised during it, as the
 * ctypes backend's errcheck does. */
static PyObject *lb_callback_check(PyObject *context, PyObject *result) {
    PyObject *checked;
    if (result == NULL)
        return NULL;
    checked = PyObject_CallFunctionObjArgs(PyTuple_GET_ITEM(context, LB_CALLBACK_CHECK), result,
                                           Py_None, Py_None, NULL);
    Py_DECREF(result);
    return checked;
}

/* A pointer result, as the ctypes backend gives it: bytes or None for a char * result typed
 * c_char_p, an int or None for void *, otherwise an instance of the ctypes pointer (or function
 * pointer) type holding the address. */
static PyObject *lb_pointer_result(void *address, PyObject *declared) {
    PyObject *result;
    if (declared == (PyObject *)&PyBytes_Type) {
        if (address == NULL)
            Py_RETURN_NONE;
        return PyBytes_FromString((const char *)address);
    }
    if (declared == (PyObject *)&PyLong_Type) {
        if (address == NULL)
            Py_RETURN_NONE;
        return PyLong_FromVoidPtr(address);
    }
    result = PyObject_CallNoArgs(declared);
    if (result != NULL)
        *(void **)((lb_cdata *)result)->b_ptr = address;
    return result;
}

static PyObject *lb_ctypes(PyObject *context, PyObject *const *args, Py_ssize_t nargs) {
    return PyObject_Vectorcall(PyTuple_GET_ITEM(context, LB_FALLBACK), args, nargs, NULL);
}

/* The address of the function a wrapper calls. It is stored once per slot, by compare-and-swap
 * with release order, and loaded with acquire order: every access to a slot is atomic. */
/* Like ctypes, a call releases the GIL (other threads run while C works), unless the function
 * is a __lazybind__.holding_gil() variant: releasing and taking it back costs ~30 ns. */
static inline PyThreadState *lb_release_gil(PyObject *context) {
    return PyTuple_GET_ITEM(context, LB_RELEASE_GIL) == Py_True ? PyEval_SaveThread() : NULL;
}

static inline void lb_take_gil(PyThreadState *state) {
    if (state != NULL)
        PyEval_RestoreThread(state);
}

static inline void *lb_address(void **slots, PyObject *context) {
    return __atomic_load_n(&slots[PyLong_AsSsize_t(PyTuple_GET_ITEM(context, LB_SLOT))],
                           __ATOMIC_ACQUIRE);
}
