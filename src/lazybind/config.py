"""`[tool.lazybind]` in pyproject.toml: bindings a project regenerates with `lazybind generate`.

    [tool.lazybind.bindings.zlib_ffi]
    headers = ["zlib.h"]
    libraries = ["z"]
    output = "src/pkg/zlib_ffi.py"
    # optional: pkg (pkg-config packages: their -I, -D and libraries), include_dirs, defines,
    # scope, only, exclude, target, stubs, docstrings, data_file, compiled, and
    # release = {sqlite3 = "sqlite3_close"}: what __lazybind__.scoped(x) calls for that type
"""

from __future__ import annotations

import os
import sys
from typing import Any, Callable, Dict, Optional

from .errors import InputError

_KEYS = {"headers", "libraries", "pkg", "output", "include_dirs", "defines", "scope", "only",
         "exclude", "target", "stubs", "release", "docstrings", "data_file", "compiled"}


def load_bindings(path: str = "pyproject.toml") -> Dict[str, Dict[str, Any]]:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python < 3.11
        import tomli as tomllib  # type: ignore[no-redef]
    if not os.path.isfile(path):
        raise InputError("no HEADER given and no pyproject.toml here to read [tool.lazybind] from")
    with open(path, "rb") as handle:
        try:
            data = tomllib.load(handle)
        except tomllib.TOMLDecodeError as error:
            raise InputError(f"{error}", file=path) from None
    bindings = data.get("tool", {}).get("lazybind", {}).get("bindings", {})
    if not bindings:
        raise InputError("no [tool.lazybind.bindings.NAME] tables", file=path)
    for name, binding in bindings.items():
        unknown = set(binding) - _KEYS
        if unknown:
            raise InputError(f"[tool.lazybind.bindings.{name}]: unknown keys {sorted(unknown)}", file=path)
        if "headers" not in binding or "output" not in binding:
            raise InputError(f"[tool.lazybind.bindings.{name}] needs headers and output", file=path)
    return bindings


def generate_from_pyproject(check: bool = False, path: str = "pyproject.toml",
                            report: Optional[Callable[[str], None]] = None) -> int:
    """Generate (or with `check`, compare) every binding of `path`; paths in it are relative to
    the current directory, as for the command line. `report` receives one summary line per
    module written (and, on a terminal, its steps are shown while it is made). Returns 1 when `check` found a stale module, else 0."""
    from . import api
    from .progress import for_stream

    stale = 0
    for name, binding in sorted(load_bindings(path).items()):
        options = dict(binding)
        output = options.pop("output")
        options["library"] = options.pop("libraries", None)
        if check:
            if not api.is_current(output, **options):
                print(f"{output}: stale ([tool.lazybind.bindings.{name}])", file=sys.stderr)
                stale = 1
            continue
        details: list = []
        with for_stream(sys.stderr, output, quiet=report is None) as progress:
            api.generate(output=output, details=details, progress=progress, **options)
        if report is not None:
            report(f"{output}: {api.summarize(*details)}")
    return stale
