"""Every example in docs/*.md runs, and shows what it prints (the convention is in docs/README.md).

Each page runs in a fresh directory of its own, its blocks in order, so a block may use what an
earlier one wrote: a block with `file=NAME` in its info string is written to NAME; a `console`
block's `$ ` lines run in bash (`lazybind` and `python` are this checkout's), and the lines after a
command are what it prints (stdout and stderr); a `python` block runs as a script, and a `text`
block right after it is what it prints. `...` in shown output stands for any text.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import lazybind

DOCS = Path(__file__).resolve().parent.parent / "docs"
SOURCE_ROOT = str(Path(lazybind.__file__).resolve().parent.parent)
FENCE = re.compile(r"^```([^\n]*)\n(.*?)^```\s*$", re.M | re.S)
EXIT_LINE = re.compile(r"^\(exit status (\d+)\)$", re.M)
SHELL_PRELUDE = ('lazybind() { "$DOCS_PYTHON" -m lazybind.cli "$@"; }\n'
                 'python() { "$DOCS_PYTHON" "$@"; }\n')


def blocks(page: Path):
    """(language, attributes, body) for every fenced block of a page, in order."""
    for match in FENCE.finditer(page.read_text()):
        words = match.group(1).split()
        language = words[0] if words else ""
        attributes = dict(w.split("=", 1) for w in words[1:] if "=" in w)
        yield language, attributes, match.group(2)


def tidy(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.strip().splitlines())


def matches(shown: str, actual: str) -> bool:
    """`actual` is what `shown` says, `...` standing for any text (also several lines)."""
    pattern = r"[\s\S]*?".join(re.escape(piece) for piece in tidy(shown).split("..."))
    return re.fullmatch(pattern, tidy(actual)) is not None


def run(command, directory):
    # pip's notes about running as root or about its own version are not part of any example
    env = dict(os.environ, DOCS_PYTHON=sys.executable, LC_ALL="C.UTF-8",
               PIP_ROOT_USER_ACTION="ignore", PIP_DISABLE_PIP_VERSION_CHECK="1",
               PYTHONPATH=os.pathsep.join([str(directory), SOURCE_ROOT]))
    return subprocess.run(command, cwd=directory, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True)


def run_console(body: str, directory: Path) -> None:
    """`$ command` lines, each followed by what it prints and maybe `(exit status N)`."""
    for step in re.split(r"^\$ ", body, flags=re.M)[1:]:
        command, _, shown = step.partition("\n")
        status = EXIT_LINE.search(shown)
        result = run(["bash", "-c", SHELL_PRELUDE + command], directory)
        assert result.returncode == (int(status.group(1)) if status else 0), (command, result.stdout)
        assert matches(EXIT_LINE.sub("", shown), result.stdout), (command, shown, result.stdout)


def run_python(body: str, shown, directory: Path) -> None:
    script = directory / "doc_example.py"
    script.write_text(body)
    result = run([sys.executable, str(script)], directory)
    assert result.returncode == 0, (body, result.stdout)
    if shown is not None:
        assert matches(shown, result.stdout), (body, shown, result.stdout)


def run_page(page: Path, directory: Path) -> int:
    """Run a page's examples; return how many blocks ran."""
    ran = 0
    pending = list(blocks(page))
    for number, (language, attributes, body) in enumerate(pending):
        if "file" in attributes:
            target = directory / attributes["file"]
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(body)
        elif language == "console":
            run_console(body, directory)
        elif language == "python":
            following = pending[number + 1] if number + 1 < len(pending) else None
            shown = following[2] if following and following[0] == "text" else None
            run_python(body, shown, directory)
        else:
            continue
        ran += 1
    return ran


PAGES = sorted(DOCS.glob("*.md"))


def test_the_pages_are_there():
    names = {page.name for page in PAGES}
    assert {"cli.md", "generated-module.md", "kernel.md", "troubleshooting.md", "build.md"} <= names


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_every_example_of_the_page_runs(page, tmp_path):
    ran = run_page(page, tmp_path)
    assert ran or page.name == "README.md", f"{page.name} has no runnable example"


def test_a_wrong_example_fails(tmp_path):
    """The checker itself: shown output that differs, or a failing command, is caught."""
    page = tmp_path / "page.md"
    page.write_text("```console\n$ echo hello\nhullo\n```\n")
    with pytest.raises(AssertionError):
        run_page(page, tmp_path)
    page.write_text("```python\nprint(1 + 1)\n```\n```text\n3\n```\n")
    with pytest.raises(AssertionError):
        run_page(page, tmp_path)
    page.write_text("```console\n$ echo a; echo b; echo c\na\n...\n```\n")
    assert run_page(page, tmp_path) == 1
