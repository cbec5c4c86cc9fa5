"""lazybind.load() and its cache (lazybind/__init__.py's warm path, lazybind/cache.py): the first
load generates, later loads in any process import without libclang or a compiler, and whatever
the module was made from (every header the translation unit read, options, environment) decides
whether it is still good. Processes are real processes; headers are real files that change."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import lazybind
from lazybind.cache import _input_checks
from lazybind.errors import InputError, LazybindError

PROBE = """
import json, sys, lazybind
module = lazybind.load({headers!r}, **{options!r})
print(json.dumps({{"answer": module.ANSWER, "name": module.__name__, "file": module.__file__,
                  "generated": "clang.cindex" in sys.modules,
                  "content_checked": "lazybind.cache" in sys.modules}}))
"""


def load_in_child(directory: Path, headers="demo.h", env=None, **options) -> dict:
    """load() in a fresh interpreter in `directory`, its cache in directory/cache; what it did."""
    environment = dict(os.environ, LAZYBIND_CACHE_DIR=str(directory / "cache"), **(env or {}))
    done = subprocess.run([sys.executable, "-c", PROBE.format(headers=headers, options=options)],
                          cwd=directory, env=environment, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.fixture
def project(tmp_path):
    """demo.h, which includes inner.h (where ANSWER is) and a system header."""
    (tmp_path / "inner.h").write_text("#define ANSWER 42\n")
    (tmp_path / "demo.h").write_text('#include <stdint.h>\n#include "inner.h"\n'
                                     "struct point { int32_t x, y; };\n")
    return tmp_path


def warm(result: dict) -> dict:
    """What a warm load of the same binding reports: nothing generated, no content checked."""
    return dict(result, generated=False, content_checked=False)


def rewrite(path: Path, text: str) -> None:
    """Write new content; its mtime moves even on a file system with coarse timestamps."""
    before = path.stat().st_mtime_ns
    path.write_text(text)
    if path.stat().st_mtime_ns == before:
        os.utime(path, ns=(before + 10**9, before + 10**9))


def only_directories(path: Path):
    return sorted(p for p in path.iterdir() if p.is_dir())


def test_first_load_generates_and_later_processes_import_without_libclang_or_compiler(project):
    first = load_in_child(project)
    assert first["generated"] and first["answer"] == 42
    # no cc, no pkg-config on PATH: a warm load needs neither, nor libclang, nor lazybind.cache
    again = load_in_child(project, env={"PATH": str(project / "no-tools-here")})
    assert again == warm(first)
    assert first["name"].startswith("lazybind_demo_")


def test_loading_again_in_a_process_returns_the_same_module(project, monkeypatch):
    monkeypatch.chdir(project)
    module = lazybind.load("demo.h", cache_dir=project / "cache")
    assert lazybind.load("demo.h", cache_dir=project / "cache") is module
    assert module.struct_point.y.offset == 4


def test_a_change_to_any_header_read_regenerates(project, monkeypatch):
    assert load_in_child(project)["answer"] == 42
    rewrite(project / "inner.h", "#define ANSWER 43\n")  # not named: included by demo.h
    changed = load_in_child(project)
    assert changed["generated"] and changed["answer"] == 43
    monkeypatch.chdir(project)  # in one process too: the new module replaces the old one
    old = lazybind.load("demo.h", cache_dir=project / "cache")
    rewrite(project / "inner.h", "#define ANSWER 44\n")
    new = lazybind.load("demo.h", cache_dir=project / "cache")
    assert (old.ANSWER, new.ANSWER) == (43, 44) and new is not old
    assert sys.modules[new.__name__] is new


def test_touching_a_header_is_not_a_change(project):
    first = load_in_child(project)
    later = time.time() + 5
    os.utime(project / "inner.h", (later, later))
    touched = load_in_child(project)
    assert touched == dict(first, generated=False)  # its content was checked: the same
    assert load_in_child(project) == warm(first)  # the manifest kept the new stat


def test_another_option_or_environment_is_another_entry(project):
    plain = load_in_child(project)
    narrow = load_in_child(project, only="ANSWER|point")
    include = load_in_child(project, env={"CPATH": str(project)})
    assert narrow["generated"] and include["generated"]
    assert len({plain["name"], narrow["name"], include["name"]}) == 3
    assert len(only_directories(project / "cache")) == 3
    assert load_in_child(project, only="ANSWER|point") == warm(narrow)


def test_a_header_installed_earlier_on_the_search_path_is_found(project):
    for directory in ("first", "second"):
        (project / directory).mkdir()
    (project / "second" / "shadow.h").write_text("#define ANSWER 2\n")
    dirs = {"include_dirs": ["first", "second"]}
    assert load_in_child(project, headers="shadow.h", **dirs)["answer"] == 2
    (project / "first" / "shadow.h").write_text("#define ANSWER 1\n")
    found = load_in_child(project, headers="shadow.h", **dirs)
    assert found["generated"] and found["answer"] == 1


def test_a_file_changed_while_generating_is_not_trusted(project):
    """Its stat was taken after the change, its content may be from before: the manifest says
    the content is unknown, so the next load regenerates instead of trusting the new stat."""
    inner = project / "inner.h"
    changed = inner.stat().st_ctime_ns
    before, during = (_input_checks([str(inner)], started) for started in (changed, changed - 1))
    assert [(c.kind, c.sha256 != "-") for c in before] == [("watch", True)]
    assert [(c.kind, c.sha256) for c in during] == [("watch", "-")]
    system = _input_checks(["/usr/include/stdint.h"], changed)  # the distribution's: its directory
    assert [(c.kind, c.path) for c in system] == [("indir", "/usr/include/stdint.h"),
                                                   ("dir", "/usr/include")]


CONCURRENT = """
import json, os, sys, time, lazybind
open(sys.argv[1], "w").close()
while not os.path.exists(sys.argv[2]):
    time.sleep(0.001)
module = lazybind.load("demo.h")
print(json.dumps({"answer": module.ANSWER, "generated": "clang.cindex" in sys.modules}))
"""


def test_two_processes_loading_at_once_both_succeed_and_one_generates(project):
    env = dict(os.environ, LAZYBIND_CACHE_DIR=str(project / "cache"))
    go = project / "go"
    children = [subprocess.Popen([sys.executable, "-c", CONCURRENT, str(project / f"ready{n}"),
                                  str(go)], cwd=project, env=env, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True) for n in range(2)]
    deadline = time.time() + 60
    while not all((project / f"ready{n}").exists() for n in range(2)):
        assert time.time() < deadline, "the children did not start"
        time.sleep(0.01)
    go.touch()  # both call load() now
    results = []
    for child in children:
        out, err = child.communicate(timeout=300)
        assert child.returncode == 0, err
        results.append(json.loads(out))
    assert [r["answer"] for r in results] == [42, 42]
    assert sorted(r["generated"] for r in results) == [False, True]
    entry, = only_directories(project / "cache")
    assert len(only_directories(entry)) == 1  # one module version written


def test_threads_loading_at_once_get_one_module(project, monkeypatch):
    monkeypatch.chdir(project)
    modules = []
    threads = [threading.Thread(target=lambda: modules.append(lazybind.load("demo.h", cache_dir="cache")))
               for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(modules) == 4 and all(module is modules[0] for module in modules)
    assert modules[0].ANSWER == 42
    entry, = only_directories(project / "cache")
    assert len(only_directories(entry)) == 1


def _version_file(entry: Path, suffix: str) -> Path:
    found, = [p for p in entry.rglob(f"*{suffix}") if p.is_file()]
    return found


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _same_size_same_mtime(path: Path) -> None:
    """Other bytes of the same length, and the mtime set back: only the ctime tells."""
    stat = path.stat()
    data = bytearray(path.read_bytes())
    data[-40:-20] = b"#" * 20 if not path.name.endswith(".pyc") else bytes(20)
    path.write_bytes(bytes(data))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))


DAMAGE = {
    "module truncated": lambda entry: _truncate(_version_file(entry, ".py")),
    "module edited, mtime restored": lambda entry: _same_size_same_mtime(_version_file(entry, ".py")),
    "bytecode edited, mtime restored": lambda entry: _same_size_same_mtime(_version_file(entry, ".pyc")),
    "bytecode deleted": lambda entry: _version_file(entry, ".pyc").unlink(),
    "manifest truncated": lambda entry: _truncate(entry / "manifest"),
    "manifest garbage": lambda entry: (entry / "manifest").write_bytes(os.urandom(300)),
    "version directory gone": lambda entry: [p.unlink() for p in sorted(
        entry.rglob("v*/**/*"), reverse=True) if p.is_file()],
}


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_a_damaged_entry_is_regenerated_not_imported(project, damage):
    load_in_child(project)
    entry, = only_directories(project / "cache")
    DAMAGE[damage](entry)
    repaired = load_in_child(project)
    assert repaired["generated"] and repaired["answer"] == 42
    assert load_in_child(project) == warm(repaired)
    # what was imported is a whole module, not the damaged file
    assert Path(repaired["file"]).read_text().count("\n#@runtime:core\n") == 1


def test_errors_are_lazybind_errors_with_a_location(project, monkeypatch):
    monkeypatch.chdir(project)
    (project / "bad.h").write_text("#define OK 1\nint broken(;\n")
    with pytest.raises(LazybindError) as bad:
        lazybind.load("bad.h")
    assert str(bad.value).startswith("bad.h:2:")
    with pytest.raises(InputError) as missing:
        lazybind.load("no_such_header.h")
    assert str(missing.value).startswith("no_such_header.h: error: header not found")
    with pytest.raises(InputError) as package:
        lazybind.load("demo.h", pkg="libxml2")
    assert "pkg-config package 'libxml2' not found; close names: libxml-2.0" in str(package.value)
    with pytest.raises(TypeError):
        lazybind.load("demo.h", output="elsewhere.py")
    assert not (project / "cache").exists() or not any((project / "cache").rglob("*.py"))


def test_stubs_are_written_beside_the_cached_module(project, monkeypatch):
    monkeypatch.chdir(project)
    module = lazybind.load("demo.h", stubs=True, cache_dir="cache")
    stubs = Path(module.__file__).with_suffix(".pyi").read_text()
    assert "ANSWER: Final" in stubs and "class struct_point" in stubs


def test_the_default_cache_directory(project):
    env = dict(os.environ, XDG_CACHE_HOME=str(project / "xdg"))
    env.pop("LAZYBIND_CACHE_DIR", None)
    code = "import lazybind; print(lazybind.load('demo.h').__file__)"
    done = subprocess.run([sys.executable, "-c", code], cwd=project, env=env, capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(str(project / "xdg" / "lazybind") + os.sep)


def lazybind_cli(*args, cwd):
    return subprocess.run([sys.executable, "-m", "lazybind.cli", *args], cwd=cwd,
                          capture_output=True, text=True)


def test_cache_list_and_clear(project):
    load_in_child(project)
    load_in_child(project, only="ANSWER")
    (project / "cache" / "mine.txt").write_text("not lazybind's")
    listed = lazybind_cli("cache", "list", "--cache-dir", "cache", cwd=project)
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert lines[0].startswith(f"{project / 'cache'}: 2 cached modules, ")
    assert sorted(line.split("  ")[1] for line in lines[1:]) == ["demo.h", "demo.h --only ANSWER"]
    cleared = lazybind_cli("cache", "clear", "--cache-dir", "cache", cwd=project)
    assert cleared.returncode == 0 and "removed 2 cached modules" in cleared.stderr
    assert [p.name for p in (project / "cache").iterdir()] == ["mine.txt"]
    assert load_in_child(project)["generated"]
