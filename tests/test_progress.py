"""Progress while generating: shown on a terminal (a real pseudo-terminal here), absent when
stderr is a pipe, where the summary line is all that is printed."""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys

from test_cli import lazybind

GENERATE = ["generate", "sqlite3.h", "--library", "sqlite3", "-o", "sqlite_ffi.py"]
SUMMARY = re.compile(r"sqlite_ffi\.py: \d+ functions, .* constants.*\n")


def stderr_on_a_terminal(args, cwd):
    """Run the CLI with stderr on a pseudo-terminal; return what it wrote there."""
    controller, terminal = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "lazybind.cli", *args], cwd=cwd,
                               stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=terminal)
    os.close(terminal)
    chunks = []
    while True:
        try:
            chunk = os.read(controller, 4096)
        except OSError:  # EIO: the last writer closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(controller)
    assert process.wait() == 0
    return b"".join(chunks).decode().replace("\r\n", "\n")


def test_steps_are_shown_on_a_terminal_then_erased(tmp_path):
    shown = stderr_on_a_terminal(GENERATE, tmp_path)
    assert "lazybind: sqlite_ffi.py: parsing with libclang" in shown
    assert re.search(r"probing \d+ macros meanwhile \(\d+\.\ds\)", shown)
    progress, _, summary = shown.rpartition("\r\x1b[K")  # the line is erased before the summary
    assert "writing the module" in progress
    assert SUMMARY.fullmatch(summary)


def test_quiet_on_a_terminal_prints_nothing(tmp_path):
    assert stderr_on_a_terminal([*GENERATE, "-q"], tmp_path) == ""


def test_without_a_terminal_only_the_summary_line(tmp_path):
    result = lazybind(*GENERATE, cwd=tmp_path)
    assert result.returncode == 0
    assert SUMMARY.fullmatch(result.stderr)
