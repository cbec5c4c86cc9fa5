"""lazybind runtime, search: finding a library that its names did not open (libraries.py): its
lib<name>.so.* in the usual directories, then ctypes.util, else a LibraryNotFoundError listing
everything tried. Runs in the runtime's shared namespace (see core.py), loaded the first time a
library's names fail. Standard library only.
"""

import os
import sys


def _search_library(name, variable, tried):
    """The library `name` that the names in `tried` did not open, found elsewhere."""
    library = _first_opened(_elsewhere(name, tried), tried)
    if library is None:
        raise LibraryNotFoundError(
            "library %r not found; set %s to its path. Tried: %s" % (name, variable, "; ".join(tried)))
    return library


def _elsewhere(name, tried):
    """Where else `name` may be: lib<name>.so.* in the usual directories (not for a path or file
    name), then what ctypes.util finds; nothing on Windows, where LoadLibrary searched already."""
    if _WINDOWS:
        return
    if not _is_file_name(name):
        yield from _scan_library_dirs(name)
    if "/" not in name and ".so" not in name:
        from ctypes import util

        found = util.find_library(name)
        if found:
            yield found
        else:
            tried.append("ctypes.util.find_library(%r): not found" % name)


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
