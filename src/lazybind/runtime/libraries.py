"""lazybind runtime, libraries: finding and opening a module's libraries (the environment
variable, the name, the soname seen at generation, the usual directories, ctypes.util; on Windows
the DLL by name, through the safe DLL search), and a stdcall view of a library for i686 Windows'
WINAPI functions. The last file of the runtime's core part (see core.py): a function is looked up
in a library, and a part of its own cost a function's first use another file read (about 50 us).
Standard library only.

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
    lib<name>.so and lib<name>.so.* in the usual directories; ctypes.util last. "@python" is the
    running interpreter itself."""
    name = spec["name"]
    if name == "@python":
        # The running interpreter's own C API: its functions must be called holding the GIL,
        # which PyDLL (ctypes.pythonapi) does and CDLL does not.
        return ctypes.pythonapi
    variable = "LAZYBIND_LIB_" + "".join(c if c.isalnum() else "_" for c in name).upper()
    tried = []
    for candidate in _library_candidates(name, spec.get("soname"), os.environ.get(variable)):
        try:
            library = ctypes.CDLL(candidate)
        except OSError as error:
            tried.append("%s (%s)" % (candidate, error))
            continue
        return library
    if not _WINDOWS and "/" not in name and ".so" not in name:
        from ctypes import util

        found = util.find_library(name)
        if found:
            try:
                return ctypes.CDLL(found)
            except OSError as error:
                tried.append("%s (%s)" % (found, error))
        else:
            tried.append("ctypes.util.find_library(%r): not found" % name)
    raise _error("LibraryNotFoundError")(
        "library %r not found; set %s to its path. Tried: %s" % (name, variable, "; ".join(tried)))


def _library_candidates(name, soname, from_environment):
    """What to try, best first; the directories are listed only when the names fail."""
    if from_environment:
        yield from_environment
    if _WINDOWS:  # LoadLibrary searches the safe way: the application's and system directories
        yield name if name.lower().endswith(".dll") or "\\" in name or "/" in name else name + ".dll"
        return
    if "/" in name or ".so" in name or name.endswith(".dylib") or name.endswith(".dll"):
        yield name
        return
    if soname:
        yield soname
    yield "lib%s.so" % name
    yield from _scan_library_dirs(name)


def _scan_library_dirs(name):
    multiarch = getattr(sys.implementation, "_multiarch", "")
    directories = ["/usr/local/lib", "/lib/" + multiarch, "/usr/lib/" + multiarch,
                   "/lib64", "/usr/lib64", "/lib", "/usr/lib"]
    prefix = "lib%s.so." % name
    found = []
    for directory in directories:
        try:
            entries = sorted(os.listdir(directory))
        except OSError:
            continue
        found.extend(os.path.join(directory, e) for e in entries if e.startswith(prefix))
    return found


def _stdcall_pointer(library, name):
    """The stdcall function `name` of `library` (i686 Windows' WINAPI, a "W" spec): a WinDLL over
    the same handle makes it; the library itself (a CDLL) makes the cdecl ones."""
    stdcall = library.__dict__.get("_lazybind_stdcall")
    if stdcall is None:
        stdcall = library._lazybind_stdcall = ctypes.WinDLL(library._name, handle=library._handle)
    return _function_pointer(stdcall, name)
