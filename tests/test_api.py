"""The Python API's promises that the CLI does not show: what generation leaves of the process."""

from __future__ import annotations

import gc

import lazybind


def _collector_states(**options):
    """gc.isenabled() at each step of a generation (told through `progress`), and after it."""
    seen = []
    lazybind.generate(["zlib.h"], library="z", progress=lambda step: seen.append(gc.isenabled()),
                      **options)
    return seen, gc.isenabled()


def test_generation_runs_without_the_cycle_collector_and_gives_it_back():
    assert gc.isenabled()
    during, after = _collector_states()
    assert during and not any(during)  # millions of objects, few cycles: full passes cost seconds
    assert after


def test_a_collector_the_caller_turned_off_stays_off():
    gc.disable()
    try:
        during, after = _collector_states(only="^crc32$")
        assert during and not any(during) and not after
    finally:
        gc.enable()
