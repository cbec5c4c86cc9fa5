"""lazybind runtime, variables: a library's global variables (`extern`), bound to its storage
with in_dll; an array of unknown length (`T x[]`) is a pointer to its first element. Runs in the
runtime's shared namespace (see core.py), loaded the first time a variable is used. Standard
library only.
"""

import ctypes


def _variable(binding, index, name, ref):
    spec = binding.spec(ref)
    if spec.startswith("[]"):
        element = binding.ctype(int(spec[2:]))
        variable = binding._symbol(index, name, _in_dll, element)
        return ctypes.cast(ctypes.addressof(variable), ctypes.POINTER(element))
    return binding._symbol(index, name, _in_dll, binding.ctype(ref))


def _in_dll(library, name, ctype):
    return ctype.in_dll(library, name)
