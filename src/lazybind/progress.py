"""Progress on a terminal: the current generation step on one stderr line, rewritten in place
with the elapsed time and erased when done, so only the summary line stays. Not a terminal (a
log, CI, a pipe): nothing, since a step list there would be noise between summary lines."""

from __future__ import annotations

import threading
import time
from typing import Callable, Optional, TextIO

Steps = Callable[[str], None]  # told the name of each step as generation starts it


def no_progress(step: str) -> None:
    """The default: steps are not shown."""


class TerminalProgress:
    """`with TerminalProgress(sys.stderr, "out.py") as step: generate(..., progress=step)`."""

    _TICK = 0.25  # seconds between redraws while one step (a libclang parse) is running

    def __init__(self, stream: TextIO, label: str) -> None:
        self._stream, self._label = stream, label
        self._step = "starting"
        self._start = time.monotonic()
        self._done = threading.Event()
        self._lock = threading.Lock()
        self._ticker: Optional[threading.Thread] = None

    def __call__(self, step: str) -> None:
        self._step = step
        self._draw()

    def _draw(self) -> None:
        elapsed = time.monotonic() - self._start
        with self._lock:
            if not self._done.is_set():
                self._stream.write(f"\r\x1b[Klazybind: {self._label}: {self._step} ({elapsed:.1f}s)")
                self._stream.flush()

    def _tick(self) -> None:
        while not self._done.wait(self._TICK):
            self._draw()

    def __enter__(self) -> "TerminalProgress":
        self._ticker = threading.Thread(target=self._tick, daemon=True)
        self._ticker.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        with self._lock:
            self._done.set()
            self._stream.write("\r\x1b[K")  # erase the line: the summary or the error follows
            self._stream.flush()
        if self._ticker is not None:
            self._ticker.join()


def for_stream(stream: TextIO, label: str, quiet: bool = False):
    """A TerminalProgress when `stream` is a terminal (and not `quiet`), else a context that
    gives `no_progress`."""
    if quiet or not stream.isatty():
        return _Silent()
    return TerminalProgress(stream, label)


class _Silent:
    def __enter__(self) -> Steps:
        return no_progress

    def __exit__(self, *exc_info: object) -> None:
        return None
