"""Generation options, declared once: name, default, and how they appear on the command line.

The CLI builds its parser from OPTIONS, and the generated module's banner records the options in
their command-line form, so the three never drift apart.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, List, Optional, Sequence, Tuple

from .errors import InputError

if TYPE_CHECKING:
    from .pkgconfig import Package


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
    # --pkg: each package's flags are already in libraries, include_dirs and defines above;
    # kept to write `--pkg NAME` in the banner instead of this machine's paths
    packages: Tuple["Package", ...] = ()

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
        from_packages = {flag for package in self.packages
                         for flag in (*package.libraries, *package.include_dirs, *package.defines)}
        words: List[str] = list(self.headers)
        words += [w for lib in self.libraries if lib not in from_packages for w in ("--library", lib)]
        words += [w for package in self.packages for w in ("--pkg", package.name)]
        words += [w for d in self.include_dirs if d not in from_packages for w in ("-I", d)]
        words += [w for d in self.defines if d not in from_packages for w in ("-D", d)]
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


def make_options(headers: Sequence[str], library=None, pkg=None, **kwargs) -> Options:
    """Options from the Python API's friendlier arguments (`library` and `pkg` may be a str or
    a list). Each pkg-config package of `pkg` adds its -I, -D and libraries after the ones given."""
    if isinstance(headers, str):
        headers = [headers]
    plural = {"include_dirs", "defines"}
    normalized = {k: tuple(v) if k in plural and v is not None else v for k, v in kwargs.items()}
    normalized = {k: v for k, v in normalized.items() if v is not None}
    libraries = as_tuple(library)
    if pkg is not None:
        from .pkgconfig import find_packages

        packages = find_packages(as_tuple(pkg))
        normalized["packages"] = packages
        libraries = _joined(libraries, [p.libraries for p in packages])
        for key in plural:
            normalized[key] = _joined(normalized.get(key, ()), [getattr(p, key) for p in packages])
    if "defines" in normalized:
        normalized["defines"] = canonical_defines(normalized["defines"])
    if "release" in normalized:
        normalized["release"] = canonical_release(normalized["release"])
    return Options(headers=tuple(headers), libraries=libraries, **normalized)


def as_tuple(value) -> Tuple[str, ...]:
    """A str, a sequence of them, or None (nothing) as a tuple."""
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


def _joined(first: Sequence[str], more: Sequence[Sequence[str]]) -> Tuple[str, ...]:
    """`first`, then each item of `more` that is not there yet, in order."""
    joined = list(first)
    for item in (item for items in more for item in items):
        if item not in joined:
            joined.append(item)
    return tuple(joined)


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
