"""IR to the text of a generated module: a banner, a two-function bootstrap, and the data.

Everything that comes from a header (names, values, paths) is written only into the data section,
as comment lines the module reads on first use; nothing from a header is ever Python code.
"""

from __future__ import annotations

import functools
import hashlib
import re
from pathlib import Path
from typing import Sequence, Tuple

from .. import ir
from ..runtime import DATA_SUFFIX
from .tables import Tables, comment_safe


_LOCK = '__import__("_thread").allocate_lock()'
# The only code that runs when the module is imported: it defines two functions.
_BOOTSTRAP = '''\
def __getattr__(name, _lock=__import__("_thread").allocate_lock(), _runtime="{runtime_id}"):
    # First access: load the runtime kept in this file's comment lines (compiled once and cached
    # in __pycache__ like any module's bytecode; shared by all modules in the process) and let it
    # take over. Importing the module only defined two functions.
    namespace = globals()
    with _lock:
        if "__lazybind__" not in namespace:
            import sys
            source = __loader__.get_data({data_path}).decode("utf-8")
            runtime = sys.modules.get(_runtime)
            if runtime is None:
                import importlib.util, marshal, os
                start = source.index("\\n#@runtime\\n") + 1
                first_line = source.count("\\n", 0, start) + 2
                cache = "%s.%s.%d.pyc" % (
                    importlib.util.cache_from_source(__file__)[:-4], _runtime, first_line)
                header = importlib.util.MAGIC_NUMBER + bytes(12)
                code = None
                try:
                    with open(cache, "rb") as cached:
                        data = cached.read()
                    if data[:16] == header:
                        code = marshal.loads(data[16:])
                except (OSError, ValueError, EOFError, TypeError):
                    pass
                if code is None:
                    body = source[source.index("\\n", start) + 1:source.index("\\n#@", start)]
                    code = compile("\\n" * (first_line - 1) + body.replace("\\n#|", "\\n")[2:],
                                   {data_path}, "exec")
                    if not sys.dont_write_bytecode:
                        try:
                            os.makedirs(os.path.dirname(cache), exist_ok=True)
                            temporary = "%s.%d.tmp" % (cache, os.getpid())
                            with open(temporary, "wb") as out:
                                out.write(header + marshal.dumps(code))
                            os.replace(temporary, cache)
                        except OSError:
                            pass
                runtime = type(sys)(_runtime)
                exec(code, runtime.__dict__)
                sys.modules[_runtime] = runtime
            namespace["__getattr__"] = runtime.install(namespace, source)
    return namespace["__getattr__"](name)


def __dir__():
    __getattr__("__lazybind__")
    return globals()["__dir__"]()
'''


# With --data-file, the module is only this: its loader and data are in OUT.lazybind, so that
# compiling the module from source (no bytecode written) costs a few lines, not the tables. The
# loader it runs defines the real __getattr__ and __dir__; two threads running it at once share
# one lock (kept in the module's globals), so the runtime is still installed once.
_STUB = '''\
def __getattr__(name):
    exec(__loader__.get_data(__file__[:-3] + "{suffix}").partition(b"\\n#@")[0], globals())
    return __getattr__(name)


def __dir__():
    __getattr__("__lazybind__")
    return __dir__()
'''


def render_split(declarations: ir.Declarations, tables: Tables,
                 command_line: Sequence[str]) -> Tuple[str, str]:
    """(module text, data file text) for --data-file: the module holds the banner and a stub, the
    data file the loader and every data section."""
    head = _head(declarations, tables, command_line)
    data = _BOOTSTRAP.replace("{data_path}", '__file__[:-3] + "%s"' % DATA_SUFFIX).replace(
        _LOCK, 'globals().setdefault("__lazybind_lock__", %s)' % _LOCK)
    return head + _STUB.replace("{suffix}", DATA_SUFFIX), _with_runtime_id(data) + _data(tables)


@functools.lru_cache(maxsize=None)
def runtime_source() -> str:
    """The runtime's source, read once per process (every module text embeds and hashes it)."""
    return (Path(__file__).resolve().parent.parent / "runtime.py").read_text(encoding="utf-8")


def render_module(declarations: ir.Declarations, tables: Tables, command_line: Sequence[str]) -> str:
    """The module's text: `tables` are what `encode` made of `declarations`."""
    bootstrap = _with_runtime_id(_BOOTSTRAP.replace("{data_path}", "__file__"))
    return _head(declarations, tables, command_line) + bootstrap + _data(tables)


def _head(declarations: ir.Declarations, tables: Tables, command_line: Sequence[str]) -> str:
    version = str(tables.meta_dict()["version"])
    headers = ", ".join(h.name for h in declarations.headers)
    return (_banner(declarations, version, command_line)
            + repr(f"C bindings for {headers}, generated by lazybind. Names resolve on first use.")
            + "\n\n")


def _with_runtime_id(bootstrap: str) -> str:
    runtime_id = "__lazybind_runtime_%s__" % hashlib.sha256(runtime_source().encode()).hexdigest()[:16]
    return bootstrap.replace("{runtime_id}", runtime_id)


def _data(tables: Tables) -> str:
    runtime = runtime_source()
    parts = ["\n\n# ==== lazybind data, read on first use; do not edit ====\n",
             "#@runtime\n" + "".join(f"#|{line}\n" for line in runtime.rstrip("\n").split("\n"))]
    parts += [f"#@{name}\n{text}" for name, text in tables.sections().items()]
    return "".join(parts)


def _banner(declarations: ir.Declarations, version: str, command_line: Sequence[str]) -> str:
    lines = [
        f"# Generated by lazybind {version} with {declarations.clang_version}. Do not edit: regenerate.",
        f"# target: {declarations.target}",
        "# options: " + " ".join(_shell_word(w) for w in command_line),
    ]
    lines += [f"# header {comment_safe(h.name)} sha256:{h.sha256}" for h in declarations.headers]
    return "\n".join(lines) + "\n"


_PLAIN_WORD = re.compile(r"[\w@%+=:,./<>-]+")


def _shell_word(word: str) -> str:
    if _PLAIN_WORD.fullmatch(word):
        return word
    escaped = word.encode("unicode_escape").decode("ascii").replace("'", "\\'")
    return f"'{escaped}'"
