/* The last fixed part of every lazybind extension: the module and its functions, which
 * lazybind.runtime calls on the first access to a function (never at import). The generated part
 * before it defines LB_MODULE_NAME, LB_INIT (PyInit_<module name>), LB_TABLES (the digest the
 * runtime compares with the one its module was generated with), the tables and lb_wrappers. */

/* slot(entry) -> the slot of the runtime's entry `entry`, or -1 when it is not compiled here:
 * a binary search in the packed ids. */
static PyObject *lb_slot(PyObject *module, PyObject *entry_object) {
    Py_ssize_t low = 0, high = LB_COUNT;
    long entry = PyLong_AsLong(entry_object);
    if (entry == -1 && PyErr_Occurred())
        return NULL;
    while (low < high) {
        Py_ssize_t middle = (low + high) / 2;
        if ((long)lb_entries[middle] < entry)
            low = middle + 1;
        else if ((long)lb_entries[middle] > entry)
            high = middle;
        else
            return PyLong_FromSsize_t(middle);
    }
    return PyLong_FromLong(-1);
}

/* A compiled function: a callable (vectorcall) holding its context and wrapper. Besides being
 * called it answers `argtypes`, `restype` and `_ctypes_` from its ctypes twin, so code written
 * for the ctypes backend (`f.argtypes[3]` as a callback prototype) works unchanged. */
typedef struct {
    PyObject_HEAD
    vectorcallfunc vectorcall;
    PyObject *context;
    const char *name;
    lb_wrapper wrapper;
} lb_function;

static PyObject *lb_function_call(PyObject *self, PyObject *const *args, size_t nargsf,
                                  PyObject *kwnames) {
    lb_function *function = (lb_function *)self;
    if (kwnames != NULL && PyTuple_GET_SIZE(kwnames) != 0)  /* ctypes refuses them in its words */
        return PyObject_Vectorcall(PyTuple_GET_ITEM(function->context, LB_FALLBACK), args, nargsf,
                                   kwnames);
    return function->wrapper(function->context, args, PyVectorcall_NARGS(nargsf));
}

static PyObject *lb_function_twin(PyObject *self, void *attribute) {
    PyObject *twin = PyObject_CallMethod(PyTuple_GET_ITEM(((lb_function *)self)->context, LB_FALLBACK),
                                         "function", NULL);
    PyObject *value;
    if (twin == NULL || attribute == NULL)
        return twin;
    value = PyObject_GetAttrString(twin, (const char *)attribute);
    Py_DECREF(twin);
    return value;
}

static PyObject *lb_function_name(PyObject *self, void *unused) {
    return PyUnicode_FromString(((lb_function *)self)->name);
}

static PyObject *lb_function_repr(PyObject *self) {
    return PyUnicode_FromFormat("<compiled C function %s>", ((lb_function *)self)->name);
}

static int lb_function_traverse(PyObject *self, visitproc visit, void *arg) {
    Py_VISIT(((lb_function *)self)->context);
    return 0;
}

static int lb_function_clear(PyObject *self) {
    Py_CLEAR(((lb_function *)self)->context);
    return 0;
}

static void lb_function_dealloc(PyObject *self) {
    PyObject_GC_UnTrack(self);
    lb_function_clear(self);
    PyObject_GC_Del(self);
}

static PyGetSetDef lb_function_getset[] = {
    {"__name__", lb_function_name, NULL, NULL, NULL},
    {"__qualname__", lb_function_name, NULL, NULL, NULL},
    {"argtypes", lb_function_twin, NULL, NULL, "argtypes"},
    {"restype", lb_function_twin, NULL, NULL, "restype"},
    {"__doc__", lb_function_twin, NULL, NULL, "__doc__"},  /* with --docstrings, the header comment */
    {"_ctypes_", lb_function_twin, NULL, "the ctypes function of the same C function", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

#ifndef Py_TPFLAGS_HAVE_VECTORCALL
#define Py_TPFLAGS_HAVE_VECTORCALL _Py_TPFLAGS_HAVE_VECTORCALL  /* Python 3.8 */
#endif

static PyTypeObject lb_function_type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "lazybind.compiled_function",
    .tp_basicsize = sizeof(lb_function),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_vectorcall_offset = offsetof(lb_function, vectorcall),
    .tp_call = PyVectorcall_Call,
    .tp_repr = lb_function_repr,
    .tp_traverse = lb_function_traverse,
    .tp_clear = lb_function_clear,
    .tp_dealloc = lb_function_dealloc,
    .tp_getset = lb_function_getset,
};

static PyObject *lb_function_new(PyObject *context, const char *name, lb_wrapper wrapper) {
    lb_function *function;
    if (PyType_Ready(&lb_function_type) < 0)
        return NULL;
    function = PyObject_GC_New(lb_function, &lb_function_type);
    if (function == NULL)
        return NULL;
    function->vectorcall = lb_function_call;
    Py_INCREF(context);
    function->context = context;
    function->name = name;
    function->wrapper = wrapper;
    PyObject_GC_Track((PyObject *)function);
    return (PyObject *)function;
}

/* bind(handle, context) -> the function of the slot context[LB_SLOT], its address looked up
 * with dlsym in the library `handle` (a dlopen handle, as ctypes.CDLL._handle); AttributeError
 * when that library lacks it, so the runtime tries its next library exactly as with ctypes.
 * None when this process already bound the slot to another address (the same module file
 * imported again with another library): that module keeps the ctypes path for the name, since
 * a slot is never overwritten. The function type is readied on first use, not at import. */
static PyObject *lb_bind(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    Py_ssize_t slot;
    const char *name;
    void *handle, *address, *expected = NULL;
    if (nargs != 2 || !PyTuple_Check(args[1]) || PyTuple_GET_SIZE(args[1]) < LB_PARAMETER(0)) {
        PyErr_SetString(PyExc_TypeError, "bind(handle, context)");
        return NULL;
    }
    slot = PyLong_AsSsize_t(PyTuple_GET_ITEM(args[1], LB_SLOT));
    if (slot == -1 && PyErr_Occurred())
        return NULL;
    if (slot < 0 || slot >= LB_COUNT) {
        PyErr_SetString(PyExc_IndexError, "no such slot");
        return NULL;
    }
    handle = PyLong_AsVoidPtr(args[0]);
    if (handle == NULL && PyErr_Occurred())
        return NULL;
    name = lb_names + lb_name_offsets[slot];
    address = dlsym(handle, name);
    if (address == NULL) {
        PyErr_Format(PyExc_AttributeError, "%s: symbol not found", name);
        return NULL;
    }
    if (!__atomic_compare_exchange_n(&lb_slots[slot], &expected, address, 0, __ATOMIC_RELEASE,
                                     __ATOMIC_ACQUIRE) && expected != address)
        Py_RETURN_NONE;
    return lb_function_new(args[1], name, lb_wrappers[lb_shapes[slot]]);
}

/* holding_gil(function) -> the same compiled function with a context that keeps the GIL
 * during the C call (for __lazybind__.holding_gil). */
static PyObject *lb_holding_gil(PyObject *module, PyObject *argument) {
    lb_function *function = (lb_function *)argument;
    PyObject *context, *variant, *item;
    Py_ssize_t i;
    if (Py_TYPE(argument) != &lb_function_type) {
        PyErr_SetString(PyExc_TypeError, "holding_gil() takes a compiled function of this module");
        return NULL;
    }
    context = PyTuple_New(PyTuple_GET_SIZE(function->context));
    if (context == NULL)
        return NULL;
    for (i = 0; i < PyTuple_GET_SIZE(function->context); i++) {
        item = i == LB_RELEASE_GIL ? Py_False : PyTuple_GET_ITEM(function->context, i);
        Py_INCREF(item);
        PyTuple_SET_ITEM(context, i, item);
    }
    variant = lb_function_new(context, function->name, function->wrapper);
    Py_DECREF(context);
    return variant;
}

static PyMethodDef lb_module_methods[] = {
    {"slot", (PyCFunction)lb_slot, METH_O, NULL},
    {"bind", (PyCFunction)(void (*)(void))lb_bind, METH_FASTCALL, NULL},
    {"holding_gil", lb_holding_gil, METH_O, NULL},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef lb_module = {
    PyModuleDef_HEAD_INIT, LB_MODULE_NAME, NULL, -1, lb_module_methods,
};

PyMODINIT_FUNC LB_INIT(void) {
    PyObject *module = PyModule_Create(&lb_module);
    if (module != NULL && PyModule_AddStringConstant(module, "TABLES", LB_TABLES) < 0) {
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
