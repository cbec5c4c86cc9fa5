"""--docstrings: the header comment of each function is its __doc__ in the module too (help()),
decoded on the first ask; without the flag the module carries no comment."""

from __future__ import annotations

import pydoc
import subprocess
import sys

from lazybind.verify import check_module
from conftest import bind_text, import_path

HEADER = '''\
/** Absolute value: "quotes", \\\\backslashes\\\\, \'\'\'triple\'\'\' and """triple""",
 * naïve ünïcode, and a second line. */
int abs(int j);
/** Formats to stdout. */
int printf(const char *format, ...);
long labs(long j);
'''


def test_comments_are_the_functions_docs_only_with_the_flag(tmp_path):
    with_docs = import_path(bind_text(tmp_path, "docs", HEADER, library="c", docstrings=True))
    assert with_docs.abs.__doc__ == ('Absolute value: "quotes", \\\\backslashes\\\\, '
                                     "'''triple''' and \"\"\"triple\"\"\",\nnaïve ünïcode, "
                                     "and a second line.")
    assert with_docs.printf.__doc__ == "Formats to stdout."  # a variadic wrapper too
    assert with_docs.labs.__doc__ is None
    assert "naïve ünïcode" in pydoc.render_doc(with_docs.abs)
    assert with_docs.abs(-3) == 3
    assert check_module(with_docs.__file__).ok

    plain_path = bind_text(tmp_path, "plain", HEADER, library="c")
    assert import_path(plain_path).abs.__doc__ is None
    assert "naïve" not in plain_path.read_text(encoding="utf-8")


def test_a_fresh_program_gets_the_comment_of_its_first_function(tmp_path):
    """In a fresh interpreter, as a user's program runs: the comment comes with the first function
    of the library (the tools part, which decodes it, is loaded then), and with a variadic one."""
    bind_text(tmp_path, "docs", HEADER, library="c", docstrings=True)
    code = ("import sys; sys.path.insert(0, sys.argv[1]); import docs_ffi as m; "
            "print(m.abs.__doc__.split(':')[0], m.abs(-3), m.printf.__doc__)")
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "Absolute value 3 Formats to stdout.\n"
