"""Generation options, declared once: name, default, and how they appear on the command line.

The CLI builds its parser from OPTIONS, and the generated module's banner records the options in
their command-line form, so the three never drift apart.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

from .errors import InputError


@dataclass(frozen=True)
class Options:
    headers: Tuple[str, ...]
    libraries: Tuple[str, ...] = ()
    include_dirs: Tuple[str, ...] = ()
    defines: Tuple[str, ...] = ()
    scope: str = "all"
    only: Optional[str] = None
    exclude: Optional[str] = None
    target: Optional[str] = None
    stubs: bool = False
    release: Tuple[Tuple[str, str], ...] = ()  # (C type name, function releasing it), sorted
    docstrings: bool = False  # header comments in the module too, for help() (stubs have them)
    data_file: bool = False  # tables in OUT.lazybind, for imports that compile the source each time
    compiled: bool = False  # also write and build the C extension of the compiled fast path

    def __post_init__(self) -> None:
        if not self.headers:
            raise InputError("no header given")
        if self.scope not in ("all", "named"):
            raise InputError(f"--scope must be 'all' or 'named', not {self.scope!r}")
        for flag, pattern in (("--only", self.only), ("--exclude", self.exclude)):
            if pattern is not None:
                try:
                    re.compile(pattern)
                except re.error as error:
                    raise InputError(f"{flag} {pattern!r}: bad regular expression: {error}") from None
        for library in self.libraries:
            check_library_name(library)

    def command_line(self) -> List[str]:
        """The options in command-line form, for the banner (headers first, paths as given)."""
        words: List[str] = list(self.headers)
        words += [w for lib in self.libraries for w in ("--library", lib)]
        words += [w for d in self.include_dirs for w in ("-I", d)]
        words += [w for d in self.defines for w in ("-D", d)]
        if self.scope != "all":
            words += ["--scope", self.scope]
        if self.only is not None:
            words += ["--only", self.only]
        if self.exclude is not None:
            words += ["--exclude", self.exclude]
        if self.target:
            words += ["--target", self.target]
        words += [w for pair in self.release for w in ("--release", "=".join(pair))]
        if self.docstrings:
            words.append("--docstrings")
        if self.data_file:
            words.append("--data-file")
        if self.compiled:
            words += ["--compiled"]
        return words


_SHORT_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_+.-]*")
# The running interpreter itself (ctypes.pythonapi), for binding Python.h: no file to name, and
# its functions must be called holding the GIL.
PYTHON_LIBRARY = "@python"


def check_library_name(library: str) -> None:
    """A library is a short name (`z`), a soname (`libz.so.1`), a path (`./libfoo.so`) or
    `@python`, the running interpreter."""
    if "/" in library or library == PYTHON_LIBRARY:
        return
    if not _SHORT_NAME.fullmatch(library):
        raise InputError(
            f"--library {library!r}: not a short name (z), a soname (libz.so.1) or a path"
        )


def make_options(headers: Sequence[str], library=None, **kwargs) -> Options:
    """Options from the Python API's friendlier arguments (`library` may be a str or a list)."""
    if library is None:
        libraries: Tuple[str, ...] = ()
    elif isinstance(library, str):
        libraries = (library,)
    else:
        libraries = tuple(library)
    if isinstance(headers, str):
        headers = [headers]
    plural = {"include_dirs", "defines"}
    normalized = {k: tuple(v) if k in plural and v is not None else v for k, v in kwargs.items()}
    normalized = {k: v for k, v in normalized.items() if v is not None}
    if "defines" in normalized:
        normalized["defines"] = canonical_defines(normalized["defines"])
    if "release" in normalized:
        normalized["release"] = canonical_release(normalized["release"])
    return Options(headers=tuple(headers), libraries=libraries, **normalized)


def canonical_defines(defines: Sequence[str]) -> Tuple[str, ...]:
    """-D options in a fixed order, so their order on the command line cannot change the output.
    Their order only matters when one name gets two values, which is refused as ambiguous."""
    values = {}
    for define in defines:
        name = define.partition("=")[0]
        if name in values and values[name] != define:
            raise InputError(f"-D {name} is given two different values: {values[name]!r} and {define!r}")
        values[name] = define
    return tuple(sorted(values.values()))


def canonical_release(release) -> Tuple[Tuple[str, str], ...]:
    """Release pairs from a mapping {TYPE: FUNCTION} (pyproject.toml) or `TYPE=FUNCTION` strings
    (the command line), sorted by type; a type given two different functions is refused."""
    items = release.items() if hasattr(release, "items") else [_release_pair(r) for r in release]
    pairs: dict = {}
    for type_name, function in items:
        if not isinstance(type_name, str) or not isinstance(function, str) or not type_name or not function:
            raise InputError(f"--release {type_name!r}={function!r}: give TYPE=FUNCTION, two C names")
        if pairs.get(type_name, function) != function:
            raise InputError(f"--release {type_name} is given two functions: "
                             f"{pairs[type_name]} and {function}")
        pairs[type_name] = function
    return tuple(sorted(pairs.items()))


def _release_pair(text: str) -> Tuple[str, str]:
    type_name, equals, function = text.partition("=")
    if not equals:
        raise InputError(f"--release {text!r}: give TYPE=FUNCTION (e.g. sqlite3=sqlite3_close)")
    return type_name, function
