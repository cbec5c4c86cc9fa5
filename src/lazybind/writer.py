"""Files are written here and nowhere else: whole, atomically (a temp file, then a rename)."""

from __future__ import annotations

import os
import tempfile
from typing import Dict

from .errors import InputError


def write_files_atomically(contents: Dict[str, str]) -> None:
    """Write every file or none: all temp files are written first, then renamed into place."""
    staged = []
    try:
        for path, text in contents.items():
            directory = os.path.dirname(os.path.abspath(path))
            if not os.path.isdir(directory):
                raise InputError(f"output directory {os.path.dirname(path) or '.'!r} does not exist")
            try:
                handle, temp = tempfile.mkstemp(prefix=".lazybind-", suffix=".tmp", dir=directory)
            except OSError as error:
                raise InputError(f"cannot write {path}: {error.strerror}") from None
            staged.append((temp, path))
            with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as out:
                out.write(text)
            os.chmod(temp, 0o644)
        for temp, path in staged:
            os.replace(temp, path)
        staged = []
    finally:
        for temp, _ in staged:
            if os.path.exists(temp):
                os.unlink(temp)
