"""Nothing from a header becomes code: hostile names, strings and comments stay data."""

from __future__ import annotations

import lazybind
from conftest import import_path

HOSTILE = r'''
/* """); import os; os.system("touch INJECTED") #  */
#define QUOTES "\"\"\"); open('INJECTED', 'w') #"
#define BACKSLASHES "a\\b\\\nc"
#define NEWLINE "line1\nline2\r\n"
#define EMBEDDED_NUL "a\0b"
#define print 1
#define __import__ 2
#define None 3
struct class { int lambda; int def; };
int __getattr__(int x);
'''


def test_hostile_header_injects_nothing_and_values_round_trip(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "hostile.h").write_text(HOSTILE)
    lazybind.generate(["hostile.h"], output="hostile_ffi.py")
    module = import_path(tmp_path / "hostile_ffi.py")
    assert module.QUOTES == b"\"\"\"); open('INJECTED', 'w') #"
    assert module.BACKSLASHES == b"a\\b\\\nc"
    assert module.NEWLINE == b"line1\nline2\r\n"
    assert getattr(module, "print") == 1 and getattr(module, "__import__") == 2
    assert getattr(module, "None") == 3
    record = getattr(module, "struct_class")()
    setattr(record, "lambda", 7)
    assert getattr(record, "lambda") == 7
    dir(module)
    assert not (tmp_path / "INJECTED").exists()
    skipped = {s.name for s in lazybind.inspect(["hostile.h"]).skipped}
    assert "EMBEDDED_NUL" in skipped  # refused, never truncated to b"a"
