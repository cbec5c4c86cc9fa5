"""What a generated module records about each --library, found on the generating machine."""

from __future__ import annotations

import ctypes.util
from typing import Dict, List, Sequence


def describe_libraries(libraries: Sequence[str]) -> List[Dict[str, str]]:
    """For each library, the name as given and, for a short name, the soname it has here: the
    module tries that soname first at run time, which needs no search."""
    described = []
    for name in libraries:
        entry = {"name": name}
        if "/" not in name and ".so" not in name and not name.startswith("@"):
            soname = ctypes.util.find_library(name)
            if soname:
                entry["soname"] = soname
        described.append(entry)
    return described
