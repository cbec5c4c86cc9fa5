"""lazybind: lazy, compact, verified Python bindings generated from C headers.

Importing this package loads nothing heavy: libclang is loaded by the first call that parses.

The warm path of `load()` lives here: name the request, read its cache entry's manifest, check by
stat what the module was made from, import the cached module. It uses os, sys and importlib
only: importing one more module (or hashlib, typing, `__future__`) would cost more than importing
the cached module itself. lazybind.cache (the entry's layout, the manifest format, the lock,
generation, `lazybind cache list|clear`) is imported on a miss, or when a check fails.
"""

import _thread
import os
import sys

__version__ = "0.1.0"
__all__ = ["load", "generate", "inspect", "check", "__version__"]

TYPE_CHECKING = False
if TYPE_CHECKING:
    from types import ModuleType
    from typing import Any, Dict, Optional, Tuple


def load(headers, library=None, pkg=None, *, cache_dir=None, **options) -> "ModuleType":
    """The module binding `headers`, from lazybind's cache: the first call generates it (libclang
    and the C compiler needed then) and caches it; later calls, in any process, import it while
    nothing it was made from changed. `pkg` names pkg-config packages giving -I, -D and the
    libraries; `options` are those of `generate`. The cache is `cache_dir`, else
    $LAZYBIND_CACHE_DIR, else the user's cache directory (~/.cache/lazybind)."""
    request = _Request(headers, library, pkg, options)
    entry = os.path.join(_cache_directory(cache_dir), request.entry_name)
    found = _warm_module(entry, request.text)
    if found is not None:
        return _import_cached(*found)
    from .cache import refresh_or_generate

    return refresh_or_generate(entry, request)


def generate(headers, library=None, output=None, stubs=False, **options):
    """Generate a binding module for `headers`; return its source text (and write it to `output`)."""
    from .api import generate as _generate

    return _generate(headers, library=library, output=output, stubs=stubs, **options)


def inspect(headers, **options):
    """Return the intermediate representation (`lazybind.ir.Declarations`) of `headers`."""
    from .api import inspect as _inspect

    return _inspect(headers, **options)


def check(module_path, pkg=()):
    """Verify a generated module's layouts and constants against the system C compiler; `pkg`:
    pkg-config packages whose -I/-D to add, as found on this machine."""
    from .api import check as _check

    return _check(module_path, pkg)


_CACHE_FORMAT = "lazybind-cache 1"  # the manifest's first line (lazybind.cache)
# What generation reads from the environment besides the arguments (the compiler, include paths,
# libclang; pkg-config's when packages are named): a change makes another request.
_ENVIRONMENT = ("CC", "CPATH", "C_INCLUDE_PATH", "LAZYBIND_BUILTIN_INCLUDE", "LIBCLANG_LIBRARY_PATH")
_PKG_CONFIG_ENVIRONMENT = ("PKG_CONFIG_PATH", "PKG_CONFIG_LIBDIR", "PKG_CONFIG_SYSROOT_DIR")
_PRIME = 2 ** 64 - 59  # the largest prime below 2**64
_IMPORT_LOCK = _thread.allocate_lock()


def _cache_directory(cache_dir=None) -> str:
    """`cache_dir`, else $LAZYBIND_CACHE_DIR, else the platform's user cache directory +
    lazybind; absolute."""
    configured = os.fspath(cache_dir) if cache_dir else os.environ.get("LAZYBIND_CACHE_DIR")
    if configured:
        return os.path.abspath(configured)
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or os.path.expanduser(r"~\AppData\Local")
        return os.path.join(base, "lazybind", "Cache")
    if sys.platform == "darwin":
        return os.path.expanduser("~/Library/Caches/lazybind")
    base = os.environ.get("XDG_CACHE_HOME", "")
    return os.path.join(base if os.path.isabs(base) else os.path.expanduser("~/.cache"), "lazybind")


class _Request:
    """One `load()` call's arguments: as given (for generation), and as a text that names
    everything the module depends on that is known before any header is read."""

    def __init__(self, headers, library=None, pkg=None, options: "Optional[Dict[str, Any]]" = None):
        options = dict(options or {})
        if "output" in options:
            raise TypeError("load() keeps the module in its cache; lazybind.generate(output=...) "
                            "writes one where you choose")
        if isinstance(headers, (str, os.PathLike)):
            headers = [headers]
        self.headers = [os.fspath(header) for header in headers]
        self.library, self.pkg, self.options = library, pkg, options
        getenv = os.environ.get
        self.text = repr((_CACHE_FORMAT, __version__, sys.implementation.cache_tag, sys.platform,
                          _machine(), tuple([_header_key(h) for h in self.headers]),
                          _plain(library), _plain(pkg),
                          tuple(sorted([(k, _option_key(k, v)) for k, v in options.items()])),
                          tuple([getenv(name) for name in _ENVIRONMENT]),
                          pkg and tuple([getenv(name) for name in _PKG_CONFIG_ENVIRONMENT])))
        # A name for the entry, not a proof: the manifest holds the text itself, compared
        # exactly, so a modulo does (hashlib's import costs more than the cached module's).
        digest = "%016x" % (int.from_bytes(self.text.encode("utf-8"), "big") % _PRIME)
        stem = _stem(self.headers[0] if self.headers else "")
        self.entry_name = f"{stem}-{digest}"
        self.module_name = f"lazybind_{stem}_{digest}"

    def arguments(self) -> "Dict[str, Any]":
        """Keyword arguments for lazybind.options.make_options."""
        return dict(self.options, headers=self.headers, library=self.library, pkg=self.pkg)


def _machine() -> str:
    uname = getattr(os, "uname", None)
    return uname().machine if uname else ""


def _header_key(header: str) -> str:
    """A header found from the current directory is that file; a name to search stays a name
    (the manifest records the places searched before the one it was found in)."""
    if not header.startswith("<") and os.path.isfile(header):
        return os.path.abspath(header)
    return header


def _option_key(name: str, value):
    if name == "include_dirs" and value is not None:
        return tuple([os.path.abspath(os.fspath(d)) for d in ([value] if isinstance(value, str) else value)])
    return _plain(value)


def _plain(value):
    """`value` as plain, ordered data, so that its repr is the same in every process."""
    if isinstance(value, dict):
        return tuple(sorted([(str(k), _plain(v)) for k, v in value.items()]))
    if isinstance(value, (list, tuple)):
        return tuple([_plain(v) for v in value])
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    return value


def _stem(header: str) -> str:
    name = os.path.basename(header.strip("<>"))
    name = name[:-2] if name.endswith(".h") else name
    return "".join([c if c.isalnum() else "_" for c in name]) or "module"


def _warm_module(entry: str, request_text: str) -> "Optional[Tuple[str, str, Optional[str]]]":
    """(module name, path, its checked bytecode) when the entry's manifest is for this request
    and each warm check passes; None otherwise. Reads the manifest up to its `indir` lines."""
    try:
        with open(os.path.join(entry, "manifest"), "rb") as handle:
            data = handle.read()
        lines = data.partition(b"\nindir ")[0].decode("utf-8").split("\n")
        if lines[0] != _CACHE_FORMAT or lines[1] != "request " + request_text or not data.endswith(b"\n"):
            return None
        module, version = lines[2][len("module "):].split(" ")
        version_dir = os.path.join(entry, version)
        stat = os.stat
        bytecode = None
        for line in lines[4:]:
            if not line:
                continue
            kind, size, mtime, ctime, inode, _, path = line.split(" ", 6)
            if kind == "absent":
                if os.path.lexists(path):
                    return None
                continue
            if kind == "output":
                path = os.path.join(version_dir, path)
                bytecode = path if path.endswith(".pyc") else bytecode
            st = stat(path)
            if f"{st.st_size} {st.st_mtime_ns} {st.st_ctime_ns} {st.st_ino}" != f"{size} {mtime} {ctime} {inode}":
                return None
    except (OSError, ValueError):  # missing, unreadable or damaged: the cold path decides
        return None
    return module, os.path.join(version_dir, module + ".py"), bytecode


def _import_cached(name: str, path: str, bytecode: "Optional[str]" = None) -> "ModuleType":
    """The module at `path` under `name`: the one this process already imported from there, or
    a fresh import (replacing an older version of the same binding in sys.modules). `bytecode`
    is the module's .pyc when the manifest's checks just confirmed it and the source."""
    with _IMPORT_LOCK:  # another thread must not get the module before it has run
        module = sys.modules.get(name)
        if module is not None and getattr(module, "__file__", None) == path:
            return module
        return _run_module(name, path, bytecode)


def _run_module(name: str, path: str, bytecode: "Optional[str]") -> "ModuleType":
    import importlib.util

    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        if bytecode is not None and spec.cached == bytecode:
            # The very bytecode compiled from this source: run as is, where importlib would
            # stat the source and validate the bytecode's 16-byte header (PEP 552) again.
            import marshal

            with open(bytecode, "rb") as handle:
                exec(marshal.loads(memoryview(handle.read())[16:]), module.__dict__)
        else:
            spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    return module
