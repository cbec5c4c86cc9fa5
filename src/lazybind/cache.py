"""The cache of lazybind.load(), but for its warm path (in lazybind/__init__.py, which checks
an entry by stat and imports its module): under an entry's lock, confirm by content what the
warm path's stat checks could not, or generate the module and record what it was made from; and
`lazybind cache list|clear`. Generating imports lazybind.api (libclang, the C compiler), and
lazybind.parse for the include search path and libclang's file; nothing else of parse, emit,
verify or the runtime is imported here.

Layout of the cache directory ($LAZYBIND_CACHE_DIR, else the user's cache directory):

    STEM-KEY/            one entry per request: headers, libraries, packages, options, the
                         environment variables generation reads, lazybind's and Python's versions
        manifest         what the current module was made from (below)
        lock             held while the entry is checked by content or generated
        vXXXXXXXX/       one version of the module: MODULE.py, __pycache__/, and with the options
                         asking for them MODULE.pyi, MODULE.lazybind, the compiled extension

The manifest is text: four header lines, then one check a line, `KIND SIZE MTIME CTIME INODE
SHA256 PATH` split by single spaces, the path last (it may hold spaces), `-` for what a kind
has not:

    lazybind-cache 1
    request REPR           the request, compared exactly (KEY only names it)
    module NAME VERSION    the module's name and its version directory
    options WORDS          its command line, for `lazybind cache list`
    watch ...              a file checked at every load
    dir ... - PATH         a directory checked at every load
    absent - - - - - PATH  a path that must still not exist
    output ... NAME        a file of the version directory, checked at every load
    indir ...              a file checked only when its directory changed (these lines come
                           last, so the warm path stops reading there)

A check passes when the stat (size, mtime, ctime, inode) is the one recorded. When one fails,
cache_store compares the file's SHA-256 with the recorded one (`-`: unknown, so regenerate).
`indir` files are those under /usr (not /usr/local): the distribution's package manager replaces
them by renaming new files into place, which changes their directory's stat too.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shlex
import shutil
import tempfile
from types import ModuleType
from typing import Iterator, List, Optional, Sequence, Tuple

# the warm path's names: defined there so that a warm load imports nothing more
from . import _CACHE_FORMAT as FORMAT, _cache_directory, _import_cached, _Request
from .errors import InputError
from .writer import write_files_atomically

KINDS = ("watch", "dir", "absent", "output", "indir")
UNKNOWN = (0, 0, 0, 0)  # a stat no file has: the check fails until content confirms it
_ENTRY_NAME = re.compile(r"\w+-[0-9a-f]{16}")


class Check:
    """One check line of a manifest."""

    __slots__ = ("kind", "stat", "sha256", "path")

    def __init__(self, kind: str, stat: Optional[Tuple[int, int, int, int]], sha256: str, path: str):
        self.kind = kind
        self.stat = stat  # size, mtime_ns, ctime_ns, inode; None for `absent`
        self.sha256 = sha256  # "-": unknown, so a change cannot be shown harmless
        self.path = path

    def line(self) -> str:
        fields = ("-",) * 4 if self.stat is None else self.stat
        return " ".join([self.kind, *map(str, fields), self.sha256, self.path])


class Manifest:
    """What a module version was made from, and its checks."""

    __slots__ = ("request", "module", "version", "options", "checks")

    def __init__(self, request: str, module: str, version: str, options: str,
                 checks: Sequence[Check]):
        self.request, self.module, self.version = request, module, version
        self.options = options  # its command line, for people
        self.checks = tuple(checks)

    def text(self) -> str:
        ordered = sorted(self.checks, key=lambda c: (c.kind == "indir", c.kind, c.path))
        lines = [FORMAT, f"request {self.request}", f"module {self.module} {self.version}",
                 f"options {self.options}", *(check.line() for check in ordered)]
        return "\n".join(lines) + "\n"


def read_manifest(entry: str) -> Optional[Manifest]:
    """The entry's whole manifest, or None when it is missing, unreadable or damaged."""
    try:
        with open(os.path.join(entry, "manifest"), "rb") as handle:
            text = handle.read().decode("utf-8")
        lines = text.split("\n")
        if lines[0] != FORMAT or lines[-1] != "":  # a truncated manifest lost its last newline
            return None
        request, module, version, options = (_field(lines[1], "request"), *_field(
            lines[2], "module").split(" "), _field(lines[3], "options"))
        return Manifest(request, module, version, options, [_check(line) for line in lines[4:-1]])
    except (OSError, ValueError, IndexError):
        return None


def _field(line: str, name: str) -> str:
    key, _, value = line.partition(" ")
    if key != name:
        raise ValueError(line)
    return value


def _check(line: str) -> Check:
    kind, size, mtime, ctime, inode, sha256, path = line.split(" ", 6)
    if kind not in KINDS:
        raise ValueError(line)
    stat = None if kind == "absent" else (int(size), int(mtime), int(ctime), int(inode))
    return Check(kind, stat, sha256, path)


def signature(path: str) -> Optional[Tuple[int, int, int, int]]:
    """What a check compares: size, mtime, ctime (which no tool can set back) and inode."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


def failed_checks(manifest: Manifest, version_dir: str) -> List[Check]:
    """Every check whose path is not as recorded, by stat (no content is read)."""
    failed = []
    for check in manifest.checks:
        path = os.path.join(version_dir, check.path) if check.kind == "output" else check.path
        if check.kind == "absent" and os.path.lexists(path):
            failed.append(check)
        elif check.kind != "absent" and signature(path) != check.stat:
            failed.append(check)
    return failed


def refresh_or_generate(entry: str, request: _Request) -> ModuleType:
    """The module of `request`: the cached one when its changed files hold what they held
    (their new stats are recorded), else a new version generated into the entry."""
    try:
        os.makedirs(entry, exist_ok=True)
    except OSError as error:
        raise InputError(f"cannot create the cache directory {entry}: {error.strerror} "
                         f"(set LAZYBIND_CACHE_DIR to another)") from None
    with _locked(entry) as started:
        manifest = read_manifest(entry)
        checked = None
        if manifest is not None and manifest.request == request.text:
            checked = _rechecked(entry, manifest)
        if checked is None:
            checked = _generate(entry, request, started)
        if checked is not manifest:
            write_files_atomically({os.path.join(entry, "manifest"): checked.text()})
    return _import_cached(checked.module, os.path.join(entry, checked.version, checked.module + ".py"))


@contextlib.contextmanager
def _locked(entry: str) -> Iterator[int]:
    """Hold the entry's lock (another process waits here, then finds the module made); gives
    the time it was taken by the file system's clock, to compare with files' ctimes."""
    import fcntl

    path = os.path.join(entry, "lock")
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            os.utime(path)
            yield os.stat(path).st_ctime_ns
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _rechecked(entry: str, manifest: Manifest) -> Optional[Manifest]:
    """`manifest` again (with the new stats of files whose content is unchanged), or None when
    something it depends on changed, went missing, or cannot be confirmed."""
    version_dir = os.path.join(entry, manifest.version)
    failed = {id(check) for check in failed_checks(manifest, version_dir)}
    if not failed:
        return manifest
    checks = []
    for check in manifest.checks:
        confirmed = _confirmed(check, version_dir) if id(check) in failed else check
        if confirmed is None:
            return None
        checks.append(confirmed)
    return Manifest(manifest.request, manifest.module, manifest.version, manifest.options, checks)


def _confirmed(check: Check, version_dir: str) -> Optional[Check]:
    """A failed check with the path's new stat when the change is harmless, else None."""
    if check.kind == "absent":
        return None
    path = os.path.join(version_dir, check.path) if check.kind == "output" else check.path
    stat = signature(path)
    if stat is None:
        return None
    if check.kind != "dir" and (check.sha256 == "-" or _sha256(path) != check.sha256):
        return None
    return Check(check.kind, stat, check.sha256, check.path)


def _generate(entry: str, request: _Request, started: int) -> Manifest:
    """Generate a new version of the entry's module and the manifest describing it."""
    from . import api
    from .options import make_options

    options = make_options(**request.arguments())
    version_dir = tempfile.mkdtemp(prefix="v", dir=entry)
    module_path = os.path.join(version_dir, request.module_name + ".py")
    details: list = []
    try:
        api.generate_from(options, module_path, details)
        _write_bytecode(module_path)
        from .parse.clang_api import library_file

        inputs = [*details[0].files_read, *(p.pc_file for p in options.packages if p.pc_file)]
        checks = _input_checks(inputs, started)
        libclang = signature(library_file())  # None: a bare name dlopen searched for
        if libclang is not None:  # any change to it regenerates: 60 MB are not hashed
            checks.append(Check("watch", libclang, "-", library_file()))
        checks += _absent_checks(request.headers, options.include_dirs)
        checks += _output_checks(version_dir)
    except BaseException:
        shutil.rmtree(version_dir, ignore_errors=True)
        raise
    words = shlex.join(options.command_line()).replace("\n", " ")
    return Manifest(request.text, request.module_name, os.path.basename(version_dir), words, checks)


def _write_bytecode(module_path: str) -> None:
    """Compile the module now, whatever PYTHONDONTWRITEBYTECODE says: a cached module is
    imported many times and written once, and compiling it costs more than the import."""
    import importlib.util
    import py_compile

    py_compile.compile(module_path, cfile=importlib.util.cache_from_source(module_path),
                       doraise=True, invalidation_mode=py_compile.PycInvalidationMode.TIMESTAMP)


def _input_checks(paths: Sequence[str], started: int) -> List[Check]:
    """A check for each file generation read, and one for each directory of those the
    distribution owns. A file changed since `started` may not be what was read: its content is
    recorded as unknown, so the next load regenerates."""
    checks: List[Check] = []
    directories = set()
    for path in sorted(set(paths)):
        stat, digest = _stat_and_sha256(path)
        if stat[2] > started:
            checks.append(Check("watch", stat, "-", path))
        elif _distribution_owned(path):
            checks.append(Check("indir", stat, digest, path))
            directories.add(os.path.dirname(path))
        else:
            checks.append(Check("watch", stat, digest, path))
    for directory in sorted(directories):
        stat = signature(directory) or UNKNOWN
        checks.append(Check("dir", UNKNOWN if stat[2] > started else stat, "-", directory))
    return checks


def _distribution_owned(path: str) -> bool:
    """Under /usr but not /usr/local: installed by the package manager, which replaces a file
    by renaming a new one into place, and so changes the directory's stat too."""
    return path.startswith("/usr/") and not path.startswith("/usr/local/")


def _stat_and_sha256(path: str) -> Tuple[Tuple[int, int, int, int], str]:
    """The file's stat and the SHA-256 of what it held then ("-" when it changed meanwhile)."""
    before = signature(path) or UNKNOWN
    digest = _sha256(path)
    if digest is None or signature(path) != before:
        return before, "-"
    return before, digest


def _sha256(path: str) -> Optional[str]:
    try:
        with open(path, "rb") as handle:
            return hashlib.sha256(handle.read()).hexdigest()
    except OSError:
        return None


def _absent_checks(headers: Sequence[str], include_dirs: Sequence[str]) -> List[Check]:
    """For each header named by a name to search, the places searched before the one it was
    found in: a header installed there later would be found instead."""
    from .parse.paths import system_include_dirs

    search = [os.path.abspath(d) for d in include_dirs] + list(system_include_dirs())
    checks = []
    for header in headers:
        name = header.strip("<>")
        if os.path.isabs(name) or (not header.startswith("<") and os.path.isfile(header)):
            continue
        for directory in search:
            candidate = os.path.join(directory, name)
            if os.path.lexists(candidate):
                break
            checks.append(Check("absent", None, "-", candidate))
    return checks


def _output_checks(version_dir: str) -> List[Check]:
    """A check with content for every file of the version directory (bytecode included)."""
    checks = []
    for directory, _, files in os.walk(version_dir):
        for name in files:
            path = os.path.join(directory, name)
            stat, digest = _stat_and_sha256(path)
            checks.append(Check("output", stat, digest, os.path.relpath(path, version_dir)))
    return checks


def entries(cache_dir: Optional[str] = None) -> List[Tuple[str, Optional[Manifest]]]:
    """(entry directory, its manifest or None while it is being made) for every entry of the
    cache (`cache_dir`, else load()'s default)."""
    cache_dir = _cache_directory(cache_dir)
    try:
        names = sorted(os.listdir(cache_dir))
    except FileNotFoundError:
        return []
    found = []
    for name in names:
        entry = os.path.join(cache_dir, name)
        if _ENTRY_NAME.fullmatch(name) and os.path.exists(os.path.join(entry, "lock")):
            found.append((entry, read_manifest(entry)))
    return found


def entry_size(entry: str) -> int:
    """Bytes used by the entry, every version counted."""
    return sum(os.path.getsize(os.path.join(directory, name))
               for directory, _, files in os.walk(entry) for name in files)


def clear(cache_dir: Optional[str] = None) -> int:
    """Remove every entry (each under its lock, so no generation is cut short); returns how many.
    Nothing else in the directory is touched."""
    removed = 0
    for entry, _ in entries(cache_dir):
        with _locked(entry):
            shutil.rmtree(entry)
        removed += 1
    return removed
