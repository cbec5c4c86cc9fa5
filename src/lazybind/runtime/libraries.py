"""lazybind runtime, libraries: opening a module's libraries by name (the environment variable,
the name, the soname seen at generation; on Windows the DLL by name, through the safe DLL search).
The last file of the runtime's core part (see core.py): a function is looked up in a library,
and a part of its own cost a function's first use another file read (about 50 us). When the
names fail, the search part looks in the usual directories and asks ctypes.util. Standard
library only.

The Windows branches are not run by this project's CI (there is no Windows there): tests drive
them with substituted loaders (tests/runtime/test_windows_runtime.py).
"""

import ctypes
import os
import sys

_WINDOWS = sys.platform == "win32"


def open_library(spec):
    """Open a library described by {"name": ..., "soname": ...}: the LAZYBIND_LIB_<NAME> variable,
    then the name as given (a path or soname), then the soname seen at generation time, then
    lib<name>.so; then the search part (lib<name>.so.* in the usual directories, ctypes.util).
    "@python" is the running interpreter itself."""
    name = spec["name"]
    if name == "@python":
        # The running interpreter's own C API: its functions must be called holding the GIL,
        # which PyDLL (ctypes.pythonapi) does and CDLL does not.
        return ctypes.pythonapi
    variable = "LAZYBIND_LIB_" + "".join(c if c.isalnum() else "_" for c in name).upper()
    tried = []
    library = _first_opened(_library_names(name, spec.get("soname"), os.environ.get(variable)), tried)
    if library is None:
        _need("search")
        library = _search_library(name, variable, tried)
    return library


def _first_opened(candidates, tried):
    """The first of `candidates` that opens, or None; why each failed is added to `tried`."""
    for candidate in candidates:
        try:
            return ctypes.CDLL(candidate)
        except OSError as error:
            tried.append("%s (%s)" % (candidate, error))
    return None


def _library_names(name, soname, from_environment):
    """The names to open, best first."""
    names = [from_environment] if from_environment else []
    if _WINDOWS:  # LoadLibrary searches the safe way: the application's and system directories
        names.append(name if name.lower().endswith(".dll") or "\\" in name or "/" in name else name + ".dll")
    elif _is_file_name(name):
        names.append(name)
    else:
        names += [soname, "lib%s.so" % name] if soname else ["lib%s.so" % name]
    return names


def _is_file_name(name):
    return "/" in name or ".so" in name or name.endswith(".dylib") or name.endswith(".dll")
