"""lazybind runtime: what a generated module runs on first use. Standard library only.

A generated module carries the runtime's source in its data section, one section a part: core.py
(finding names, functions, variables, constants, plain types, libraries; the module file's format
is described there), then records, callbacks, variadic, macros, tools, kernel, compiled and abi.
The module's tiny `__getattr__` compiles the core on the first attribute access and the core
compiles each other part the first time it is needed, all into one namespace: a part uses the
core's names and the core calls a part's functions only after loading it. So a program that calls
two functions builds no record machinery, no callback thunk and no `__lazybind__` tools.

Imported as `lazybind.runtime` (by lazybind itself, tests and tools), this package runs every part
into its own namespace, in that order, from the files beside this one, so the same names are
found here as in a module's runtime.
"""

from pathlib import Path

PARTS = ("core", "records", "callbacks", "variadic", "macros", "tools", "kernel", "compiled", "abi")


def part_source(part: str) -> str:
    """The source of a runtime part, as a generated module carries it."""
    return (Path(__file__).parent / f"{part}.py").read_text(encoding="utf-8")


def _run_parts(namespace: dict) -> None:
    for part in PARTS:
        path = Path(__file__).parent / f"{part}.py"
        exec(compile(part_source(part), str(path), "exec"), namespace)
    namespace["_parts"].update(PARTS)


_run_parts(globals())
