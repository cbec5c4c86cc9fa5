/* The last fixed part of every lazybind extension: the module and its two functions, which
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

/* bind(handle, context) -> the function of the slot context[LB_SLOT], its address looked up
 * with dlsym in the library `handle` (a dlopen handle, as ctypes.CDLL._handle); AttributeError
 * when that library lacks it, so the runtime tries its next library exactly as with ctypes.
 * None when this process already bound the slot to another address (the same module file
 * imported again with another library): that module keeps the ctypes path for the name, since
 * a slot is never overwritten. Its method definition is filled here, on first use, so that the
 * tables need no relocation when the extension is loaded. Called with the GIL held. */
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
    lb_methods[slot].ml_name = name;
    lb_methods[slot].ml_meth = lb_wrappers[lb_shapes[slot]];
    lb_methods[slot].ml_flags = METH_FASTCALL;
    return PyCFunction_NewEx(&lb_methods[slot], args[1], NULL);
}

static PyMethodDef lb_module_methods[] = {
    {"slot", (PyCFunction)lb_slot, METH_O, NULL},
    {"bind", (PyCFunction)(void (*)(void))lb_bind, METH_FASTCALL, NULL},
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
