"""lazybind runtime, libraries: finding and opening a module's libraries (the environment
variable, the name, the soname seen at generation, the usual directories, ctypes.util). Runs in
the runtime's shared namespace (see core.py), loaded when the first library is opened. Standard
library only.
"""

import ctypes
import os
import sys


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
    if "/" not in name and ".so" not in name:
        from ctypes import util

        found = util.find_library(name)
        if found:
            try:
                return ctypes.CDLL(found)
            except OSError as error:
                tried.append("%s (%s)" % (found, error))
        else:
            tried.append("ctypes.util.find_library(%r): not found" % name)
    raise LibraryNotFoundError(
        "library %r not found; set %s to its path. Tried: %s" % (name, variable, "; ".join(tried)))


def _library_candidates(name, soname, from_environment):
    """What to try, best first; the directories are listed only when the names fail."""
    if from_environment:
        yield from_environment
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
