"""IR to the text of a generated module: a banner, a two-function bootstrap, and the data.

Everything that comes from a header (names, values, paths) is written only into the data section,
as comment lines the module reads on first use; nothing from a header is ever Python code.
"""

from __future__ import annotations

import functools
import hashlib
import re
from typing import Sequence, Tuple

from .. import ir
from ..runtime import DATA_SUFFIX, PARTS, part_source
from .tables import Tables, comment_safe, laid_out


_LOCK, _INSTALLED = '__import__("_thread").allocate_lock()', "_installed=[]"
# The only code that runs when the module is imported: it defines two functions.
_BOOTSTRAP = '''\
def __getattr__(name, _lock=__import__("_thread").allocate_lock(), _installed=[],
                _runtime="{runtime_id}", _at="{directory}"):
    # First access: compile the runtime's core, kept in this file's comment lines (its bytecode
    # cached in __pycache__ like a module's; shared by all modules in the process), and let it
    # take over. Importing the module only defined two functions.
    namespace = globals()
    with _lock:
        if not _installed:
            import sys
            path = {data_path}

            def load(part):  # the code of a runtime part, from this file
                import marshal, os
                start, end, line = map(int, _at.split(" runtime:%s:" % part)[1].split()[0].split(","))
                directory, file = os.path.split(path)
                cache = "%s/__pycache__/%s.%s.%s.%s.%d.pyc" % (
                    directory, file.rpartition(".")[0], sys.implementation.cache_tag, _runtime, part, line)
                try:  # (os, not open: its file objects cost a first use more than this read)
                    cached = os.open(cache, os.O_RDONLY | getattr(os, "O_BINARY", 0))
                    try:
                        return marshal.loads(os.read(cached, os.fstat(cached).st_size))
                    finally:
                        os.close(cached)
                except (OSError, ValueError, EOFError, TypeError):
                    pass
                # (builtins by import: the module's globals get C's names, such as open)
                from builtins import compile, open
                try:
                    with open(path, "rb") as data:
                        data.seek(start)
                        body = data.read(end - start).decode("utf-8")
                except OSError:  # not a plain file (in a zip): the loader has its bytes
                    body = __loader__.get_data(path)[start:end].decode("utf-8")
                # without docstrings (a module carries them in memory), but for the methods of
                # __lazybind__, which users read with help()
                code = compile("\\n" * (line - 1) + body.replace("\\n#|", "\\n")[2:], path, "exec",
                               optimize=0 if part in ("info", "tools") else 2)
                if not sys.dont_write_bytecode:
                    try:
                        os.makedirs(os.path.dirname(cache), exist_ok=True)
                        temporary = "%s.%d.tmp" % (cache, os.getpid())
                        with open(temporary, "wb") as out:
                            out.write(marshal.dumps(code))
                        os.replace(temporary, cache)
                    except OSError:
                        pass
                return code

            runtime = sys.modules.get(_runtime)
            if runtime is None:
                runtime = type(sys)(_runtime)
                exec(load("core"), runtime.__dict__)
                sys.modules[_runtime] = runtime
            namespace["__getattr__"] = runtime.install(namespace, path, _at, load)
            _installed.append((namespace["__getattr__"], namespace["__dir__"]))
        # (a --data-file loader that a late thread ran again defined both over the runtime's)
        namespace["__getattr__"], namespace["__dir__"] = _installed[0]
    return namespace["__getattr__"](name)


def __dir__():
    __getattr__("__lazybind__")
    return globals()["__dir__"]()
'''


# With --data-file, the module is only this: its loader and data are in OUT.lazybind, so that
# compiling the module from source (no bytecode written) costs a few lines, not the tables. The
# loader it runs (the first {size} bytes of the data file) defines the real __getattr__ and
# __dir__. Threads running it at once share its lock and its record of the install (kept in the
# module's globals), so the runtime is installed once; a thread that runs it after the install
# defines the two functions again over the runtime's, and the first call puts the runtime's back.
_STUB = '''\
def __getattr__(name):
    with open(__file__[:-3] + "{suffix}", "rb") as data:
        exec(data.read({size}), globals())
    return __getattr__(name)


def __dir__():
    __getattr__("__lazybind__")
    return __dir__()
'''

_DATA_BANNER = "\n\n# ==== lazybind data, read on first use; do not edit ====\n"
_NUMBER = 10  # digits of every number in the directory: its length is known before its values


def render_split(declarations: ir.Declarations, tables: Tables,
                 command_line: Sequence[str]) -> Tuple[str, str]:
    """(module text, data file text) for --data-file: the module holds the banner and a stub, the
    data file the loader and every data section."""
    head = _head(declarations, tables, command_line)
    loader = _BOOTSTRAP.replace("{data_path}", '__file__[:-3] + "%s"' % DATA_SUFFIX).replace(
        _LOCK, 'globals().setdefault("__lazybind_lock__", %s)' % _LOCK).replace(
        _INSTALLED, '_installed=globals().setdefault("__lazybind_installed__", [])')
    data = _with_data("", loader, tables)
    size = len(data[:data.index(_DATA_BANNER)].encode("utf-8"))
    return head + _STUB.replace("{suffix}", DATA_SUFFIX).replace("{size}", str(size)), data


@functools.lru_cache(maxsize=None)
def runtime_sources() -> Tuple[Tuple[str, str], ...]:
    """(part, source) of each runtime part, read once per process (every module text embeds them
    and hashes them)."""
    return tuple((part, part_source(part)) for part in PARTS)


def render_module(declarations: ir.Declarations, tables: Tables, command_line: Sequence[str]) -> str:
    """The module's text: `tables` are what `encode` made of `declarations`."""
    head = _head(declarations, tables, command_line)
    return _with_data(head, _BOOTSTRAP.replace("{data_path}", "__file__"), tables)


def _with_data(head: str, bootstrap: str, tables: Tables) -> str:
    """head + bootstrap + the data sections, the bootstrap's directory filled in: where each
    section starts and ends in the file (bytes), and the line its body starts on."""
    runtime_id = "__lazybind_runtime_%s__" % hashlib.sha256(
        "".join(source for _, source in runtime_sources()).encode()).hexdigest()[:16]
    sections = [(f"runtime:{part}", "".join(f"#|{line}\n" for line in source.rstrip("\n").split("\n")))
                for part, source in runtime_sources()]
    sections += list(tables.sections().items())
    placeholder = " ".join([f"{name}:{','.join(['0' * _NUMBER] * 3)}" for name, _ in sections]
                           + [tables.numbers(_NUMBER)])
    prefix = head + bootstrap.replace("{runtime_id}", runtime_id)
    offset = len(prefix.replace("{directory}", " " + placeholder).encode("utf-8")) + len(
        _DATA_BANNER.encode("utf-8"))
    line = prefix.count("\n") + _DATA_BANNER.count("\n") + 1
    body, directory = laid_out(sections, offset, line, _NUMBER)
    directory = f" {directory} {tables.numbers(_NUMBER)}"
    return prefix.replace("{directory}", directory) + _DATA_BANNER + body


def _head(declarations: ir.Declarations, tables: Tables, command_line: Sequence[str]) -> str:
    version = str(tables.meta_dict()["version"])
    headers = ", ".join(h.name for h in declarations.headers)
    return (_banner(declarations, version, command_line)
            + repr(f"C bindings for {headers}, generated by lazybind. Names resolve on first use.")
            + "\n\n")


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
