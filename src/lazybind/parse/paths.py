"""How header paths are shown: relative to the include directory they were found in, so that
the generated module names `bits/types.h`, never the build machine's absolute paths."""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from typing import Iterable, List, Optional


@functools.lru_cache(maxsize=None)
def system_include_dirs() -> tuple:
    """The usual system header directories of this machine, most specific first."""
    dirs: List[str] = ["/usr/local/include"]
    multiarch = _multiarch()
    if multiarch:
        dirs.append(os.path.join("/usr/include", multiarch))
    dirs.append("/usr/include")
    return tuple(dirs)


def _multiarch() -> Optional[str]:
    if not shutil.which("cc"):
        return None
    try:
        out = subprocess.run(["cc", "-print-multiarch"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


class PathDisplay:
    """Maps an absolute header path to the short form users write after `#include`."""

    def __init__(self, include_dirs: Iterable[str]) -> None:
        roots = [os.path.realpath(d) for d in include_dirs if d]
        # Longest root first, so /usr/include/x86_64-linux-gnu wins over /usr/include.
        self._roots = sorted(set(roots), key=lambda r: (-len(r), r))
        # the same without resolving links: mingw-w64's headers are links into another tree
        self._link_roots = sorted({os.path.normpath(d) for d in include_dirs if d},
                                  key=lambda r: (-len(r), r))
        self._cwd = os.path.realpath(os.getcwd())
        self._cache: dict = {}

    def __call__(self, path: str) -> str:
        shown = self._cache.get(path)
        if shown is None:
            shown = self._cache[path] = self._display(path)
        return shown

    def _display(self, path: str) -> str:
        if not path:
            return "<unknown>"
        real = os.path.realpath(path)
        for root in self._roots:
            if real.startswith(root + os.sep):
                return os.path.relpath(real, root)
        plain = os.path.normpath(path)
        for root in self._link_roots:
            if plain.startswith(root + os.sep):
                return os.path.relpath(plain, root)
        if real.startswith(self._cwd + os.sep):
            return os.path.relpath(real, self._cwd)
        return path
