"""The C compiler of a target: which command builds for it, and where its headers are.

`find_compiler(target)` answers with the system compiler (`$CC`, else `cc`) for this machine,
and for another target with `TRIPLE-gcc` (a Debian cross compiler: `x86_64-w64-mingw32-gcc`,
`aarch64-linux-gnu-gcc`), `cc -m32` for i686 on x86_64, or `clang --target`. Nothing it finds
is ever run on the target: callers compile to object files (lazybind.objdata reads them).

`header_search(target)` gives a cross gcc's own builtin header directory and include search
list, so that clang parses a target's headers as that compiler would (mingw-w64's windows.h
with the mingw gcc's intrinsics headers, not this machine's).

Imports nothing of lazybind but errors: the front end (parse) and verification (verify) both
use it, and neither may be imported from here.
"""

from __future__ import annotations

import functools
import os
import shlex
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from typing import Optional, Sequence, Tuple

from .errors import LazybindError


class ToolchainError(LazybindError):
    """No compiler can build for the target (or none at all)."""

    exit_code = 2


@dataclass(frozen=True)
class Compiler:
    command: Tuple[str, ...]
    display: str
    flavor: str  # "gcc" or "clang"
    target: str
    native: bool  # builds for this machine
    cross_gcc: bool = False  # TRIPLE-gcc: its own headers and sysroot, found by header_search

    @property
    def label(self) -> str:
        # no version number: a module regenerated with another gcc release is still current
        return f"the C compiler ({self.flavor}, {self.target})"


def find_compiler(target: str) -> Compiler:
    """The compiler building for `target` ("" for this machine); ToolchainError when none does."""
    base = os.environ.get("CC") or "cc"
    return _find(target, base, os.environ.get("PATH", ""))


# keyed by $CC and $PATH too: what is found depends on them (tests change both)
@functools.lru_cache(maxsize=None)
def _find(target: str, base: str, path: str) -> Compiler:
    command = tuple(shlex.split(base))
    if not command or not shutil.which(command[0]):
        raise ToolchainError(
            f"no C compiler ({base}) found: lazybind check needs the system C compiler")
    host = _run_text(command + ("-dumpmachine",)).strip()
    if not target or same_target(target, host):
        return Compiler(command, " ".join(command), _flavor(command), host or "host", True)
    for candidate, cross_gcc in _cross_candidates(target, host, command):
        if shutil.which(candidate[0]) and _can_compile(candidate):
            return Compiler(candidate, " ".join(candidate), _flavor(candidate), target, False,
                            cross_gcc)
    raise ToolchainError(
        f"the module was generated for --target {target}, and checking it needs a C cross compiler "
        f"for that target ({target}-gcc or equivalent); none was found on this machine ({host})")


def find_cross_gcc(target: str) -> Optional[Compiler]:
    """`TRIPLE-gcc` for a foreign `target`, or None (no target, this machine's, or no such gcc)."""
    if not target:
        return None
    try:
        compiler = find_compiler(target)
    except ToolchainError:
        return None
    return compiler if compiler.cross_gcc else None


def _run_text(command: Sequence[str], stderr: bool = False) -> str:
    try:
        done = subprocess.run(list(command), capture_output=True, text=True, timeout=60,
                              stdin=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError):
        return ""
    return done.stderr if stderr else done.stdout


def _flavor(command: Sequence[str]) -> str:
    return "clang" if "clang" in _run_text(tuple(command) + ("--version",)).lower() else "gcc"


def normalize_triple(triple: str) -> Tuple[str, ...]:
    """A triple's words with the vendor noise left out and the architecture's usual name:
    `i386-pc-linux-gnu` and `i686-linux-gnu` are one target."""
    parts = triple.lower().split("-")
    arch = {"i386": "i686", "i486": "i686", "i586": "i686", "amd64": "x86_64",
            "arm64": "aarch64"}.get(parts[0], parts[0])
    rest = [p for p in parts[1:] if p not in ("pc", "unknown", "none")]
    return (arch, *rest)


def same_target(target: str, host: str) -> bool:
    return bool(host) and normalize_triple(target) == normalize_triple(host)


def is_windows(target: str) -> bool:
    """A Windows target (`x86_64-w64-mingw32`, `i686-pc-windows-gnu`...): LLP64, 2-byte wchar_t,
    DLLs."""
    words = normalize_triple(target) if target else ()
    return any(w.startswith(("mingw", "windows", "win32", "cygwin")) for w in words[1:])


def _cross_candidates(target: str, host: str, command: Tuple[str, ...]):
    """(command, is a cross gcc) to try for a foreign target, best first."""
    arch = normalize_triple(target)[0]
    yield (f"{target}-gcc",), True
    yield ("-".join(normalize_triple(target)) + "-gcc",), True
    host_arch = normalize_triple(host)[0] if host else ""
    if arch == "i686" and host_arch == "x86_64" and not is_windows(target):
        yield command + ("-m32",), False
    if _flavor(command) == "clang":
        yield command + ("--target=" + target,), False


def _can_compile(command: Sequence[str]) -> bool:
    """The compiler turns a C file using the C library's headers into an object file: all that
    is asked of it (nothing it builds is linked or run)."""
    with tempfile.TemporaryDirectory(prefix="lazybind-cc-") as directory:
        source = os.path.join(directory, "t.c")
        with open(source, "w") as handle:
            handle.write("#include <stddef.h>\n#include <stdlib.h>\nint lazybind_t(void) "
                         "{ return (int)sizeof(size_t); }\n")
        try:
            result = subprocess.run(list(command) + ["-c", source, "-o",
                                                     os.path.join(directory, "t.o")],
                                    capture_output=True, timeout=60, stdin=subprocess.DEVNULL)
        except (OSError, subprocess.SubprocessError):
            return False
        return result.returncode == 0


def header_search(target: str) -> Optional[Tuple[str, ...]]:
    """The include search list of the target's cross gcc, its builtin header directory first
    (`-print-file-name=include`, then the rest of `gcc -v -E`'s list: include-fixed, the
    sysroot's include); None when the target has no cross gcc here."""
    compiler = find_cross_gcc(target)
    return None if compiler is None else _search_list(compiler.command)


@functools.lru_cache(maxsize=None)
def _search_list(command: Tuple[str, ...]) -> Optional[Tuple[str, ...]]:
    listing = _run_text(command + ("-v", "-E", "-x", "c", os.devnull), stderr=True)
    start = listing.find("#include <...> search starts here:")
    end = listing.find("End of search list.")
    if start < 0 or end < start:
        return None
    directories = [os.path.normpath(line.strip()) for line in
                   listing[start:end].splitlines()[1:] if line.strip()]
    builtin = os.path.normpath(_run_text(command + ("-print-file-name=include",)).strip())
    if os.path.isfile(os.path.join(builtin, "stddef.h")) and builtin not in directories:
        directories.insert(0, builtin)
    return tuple(d for d in directories if os.path.isdir(d)) or None
