"""pkg-config: what a package's users need to compile against it and to call it (`--pkg NAME`,
`pkg = [...]`, `load(pkg=...)`), and which package owns a header (scripts/corpus.py).

Everything here runs the `pkg-config` program; nothing else of lazybind is imported but its
errors, so the options, the cache and the corpus script share one reading of pkg-config.
"""

from __future__ import annotations

import ctypes.util
import difflib
import os
import shlex
import shutil
import subprocess
from collections import defaultdict
from dataclasses import dataclass
from typing import Dict, List, Sequence, Tuple

from .errors import InputError

_TIMEOUT = 60


@dataclass(frozen=True)
class Package:
    """A pkg-config package as a binding needs it."""

    name: str
    include_dirs: Tuple[str, ...]  # -I (and -isystem) of `pkg-config --cflags`, in order
    defines: Tuple[str, ...]  # -D of `--cflags`
    libraries: Tuple[str, ...]  # each -l of `--libs`, as a soname where one is known
    pc_file: str  # the .pc file pkg-config read, "" when it cannot say


def find_packages(names: Sequence[str]) -> Tuple[Package, ...]:
    """Each named package, in order; a missing one is bad input naming it and close names."""
    return tuple(find_package(name) for name in names)


def find_package(name: str) -> Package:
    if not isinstance(name, str) or not name or name.startswith("-") or name != name.strip():
        raise InputError(f"--pkg {name!r}: not a pkg-config package name")
    cflags = _flags("--cflags", name)
    libs = _flags("--libs", name)
    include_dirs = _values(cflags, ("-I", "-isystem"))
    library_dirs = _values(libs, ("-L",))
    libraries = tuple(_library(short, library_dirs) for short in _values(libs, ("-l",)))
    where = _run("--path", name).stdout.strip().splitlines()
    return Package(name, include_dirs, _values(cflags, ("-D",)), libraries,
                   where[0] if where else "")


def _flags(query: str, name: str) -> List[str]:
    """The flags pkg-config prints for `name`; a failure is bad input naming the package."""
    done = _run(query, name, package=name)
    if done.returncode == 0:
        return shlex.split(done.stdout)
    known = package_names()
    if name in known:  # it exists, but something it requires does not
        lines = [line.strip() for line in done.stderr.splitlines() if line.strip()] or ["failed"]
        why = [line for line in lines if "not found" in line][-1:] or lines[-1:]
        raise InputError(f"pkg-config package {name!r}: {why[0]}")
    close = close_names(name, known)
    hint = f"; close names: {', '.join(close)}" if close else ""
    raise InputError(f"pkg-config package {name!r} not found{hint} (pkg-config --list-all "
                     f"lists them; PKG_CONFIG_PATH adds directories)")


def _values(flags: Sequence[str], prefixes: Sequence[str]) -> Tuple[str, ...]:
    """The values of flags with one of `prefixes`, attached (`-I/x`) or separate (`-isystem /x`),
    in order and without repeats; other flags (-pthread, -Wl,...) say nothing a binding needs."""
    found: List[str] = []
    words = iter(flags)
    for word in words:
        for prefix in prefixes:
            if word.startswith(prefix):
                value = word[len(prefix):] or next(words, "")
                if value and value not in found:
                    found.append(value)
                break
    return tuple(found)


def _library(short: str, library_dirs: Sequence[str]) -> str:
    """The library the linker would take for -l`short`: a file in the package's own -L
    directories (a path), else the soname the system's loader knows, else the short name."""
    for directory in library_dirs:
        candidate = os.path.join(directory, f"lib{short}.so")
        if os.path.exists(candidate):
            return candidate
    return ctypes.util.find_library(short) or short


def package_names() -> List[str]:
    """Every package pkg-config knows, sorted."""
    done = _run("--list-all")
    return sorted({line.split()[0] for line in done.stdout.splitlines() if line.strip()})


def close_names(name: str, known: Sequence[str], count: int = 3) -> List[str]:
    """Known names that look like `name`: those starting with it, similar spellings, then names
    containing it."""
    lowered = name.lower()
    starting = [k for k in known if k.lower().startswith(lowered)]
    similar = difflib.get_close_matches(name, known, n=count, cutoff=0.75)
    containing = [k for k in known if lowered in k.lower()]
    return list(dict.fromkeys(starting + similar + containing))[:count]


def _ask(*args: str) -> List[str]:
    done = _run(*args)
    return done.stdout.split() if done.returncode == 0 else []


def _run(*args: str, package: str = "") -> subprocess.CompletedProcess:
    program = shutil.which("pkg-config")
    if program is None:
        wanted = f"--pkg {package} needs" if package else "this needs"
        raise InputError(f"{wanted} pkg-config, which is not installed (or not on PATH)")
    return subprocess.run([program, *args], capture_output=True, text=True, timeout=_TIMEOUT)


def header_libraries(root: str = "/usr/include") -> Dict[str, List[str]]:
    """{include directory or header path: the -l names of the pkg-config package that owns it}.
    A package claims the folder or header named like it (openssl.pc: openssl/, x11.pc: X11/,
    zlib.pc: zlib.h) and the directories of its -I flags under `root`; of several claims, one by
    name wins, then the package with the fewest libraries (libxml-2.0's xml2 over libxslt's
    xslt and xml2). Empty without pkg-config."""
    if not shutil.which("pkg-config"):
        return {}
    named = {entry.lower(): os.path.join(root, entry) for entry in sorted(os.listdir(root))}
    inside = os.path.realpath(root) + os.sep
    claims: Dict[str, List[tuple]] = defaultdict(list)
    for package in package_names():
        libraries = [flag[2:] for flag in _ask("--libs-only-l", package)]
        if not libraries:
            continue
        by_name = [named[key] for key in (package.lower(), package.lower() + ".h") if key in named]
        by_flag = [flag[2:] for flag in _ask("--cflags-only-I", package)]
        for rank, places in enumerate((by_name, by_flag)):
            for place in places:
                if os.path.realpath(place).startswith(inside):
                    claims[os.path.realpath(place)].append((rank, len(libraries), package, libraries))
    return {place: min(claimed)[3] for place, claimed in claims.items()}


def libraries_for(header: str, owners: Dict[str, List[str]]) -> List[str]:
    """The libraries of the deepest pkg-config include directory holding `header` (or of the
    package named like it); [] when no package claims it."""
    place = os.path.realpath(header)
    while place != os.path.dirname(place):
        if place in owners:
            return owners[place]
        place = os.path.dirname(place)
    return []
