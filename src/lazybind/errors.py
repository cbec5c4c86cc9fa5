"""Errors lazybind reports to its user. Each one knows how to print itself and which exit code it means."""

from __future__ import annotations

from typing import Optional


class LazybindError(Exception):
    """Base class: a problem reported to the user as one line, without a traceback."""

    exit_code = 2

    def __init__(self, message: str, file: Optional[str] = None, line: int = 0, column: int = 0):
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line
        self.column = column

    def __str__(self) -> str:
        if self.file is None:
            return f"error: {self.message}"
        if not self.line:
            return f"{self.file}: error: {self.message}"
        return f"{self.file}:{self.line}:{self.column}: error: {self.message}"


class InputError(LazybindError):
    """Bad input: an unreadable or unparsable header, a bad option or library name (exit 2)."""


class CheckFailed(LazybindError):
    """`--check` or `lazybind check` found a difference (exit 1)."""

    exit_code = 1


class BuildWarning(UserWarning):
    """The compiled fast path could not be built; the module works without it, through ctypes."""
