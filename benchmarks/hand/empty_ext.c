/* An empty extension module: the floor of an extension's import. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "empty_ext", NULL, -1, NULL};

PyMODINIT_FUNC PyInit_empty_ext(void) {
    return PyModule_Create(&module);
}
