"""The Python API behind `lazybind.generate/inspect/check`; the CLI is a thin shell over it."""

from __future__ import annotations

import os
from collections import Counter
from typing import Dict, Optional, Sequence, Union

from . import __version__, ir
from .errors import InputError
from .options import Options, make_options


def inspect(headers: Union[str, Sequence[str]], **options) -> ir.Declarations:
    from .parse import read_declarations

    return read_declarations(make_options(headers, **options))


def render(options: Options) -> dict:
    """The files `options` describe: {"module": text} and, with stubs, {"stubs": text}; and the
    IR they came from, under "declarations"."""
    from .emit import render_module
    from .emit.stubs import render_stubs
    from .libraries import describe_libraries
    from .parse import read_declarations

    declarations = read_declarations(options)
    rendered = {"module": render_module(declarations, describe_libraries(options.libraries),
                                        __version__, options.command_line(),
                                        compile_options(options))}
    if options.stubs:
        rendered["stubs"] = render_stubs(declarations)
    rendered["declarations"] = declarations
    return rendered


def summarize(declarations: ir.Declarations) -> str:
    """`191 functions, 28 records, 648 constants, ...; 390 skipped (302 name already used, ...)`."""
    kinds = Counter(type(d).__name__.lower() for d in declarations.declarations)
    plural = {"function": "functions", "variable": "variables", "record": "records",
              "enum": "enums", "typedef": "typedefs", "constant": "constants"}
    held = ", ".join(f"{kinds[k]} {plural[k]}" for k in plural if kinds[k])
    reasons = Counter(s.reason.split(":")[0].split(" at ")[0] for s in declarations.skipped)
    why = ", ".join(f"{count} {reason}" for reason, count in reasons.most_common(3))
    skipped = f"; {len(declarations.skipped)} skipped ({why})" if declarations.skipped else ""
    return (held or "nothing declared") + skipped


def compile_options(options: Options) -> dict:
    """What `lazybind check` needs to compile the same headers again."""
    return {
        "headers": list(options.headers),
        "include_dirs": list(options.include_dirs),
        "defines": list(options.defines),
        "target": options.target or "",
    }


def generate(
    headers: Union[str, Sequence[str]],
    library=None,
    output: Optional[str] = None,
    stubs: bool = False,
    details: Optional[list] = None,
    **options,
) -> str:
    """Module text for `headers`; written to `output` (and OUT.pyi with stubs) when given. A
    `details` list receives the IR the module was made from (for summaries and reports)."""
    opts = make_options(headers, library=library, stubs=stubs, **options)
    if output is not None:
        _refuse_overwriting_inputs(output, opts.headers)
    rendered = render(opts)
    if output is not None:
        from .writer import write_files_atomically

        write_files_atomically(_output_files(output, rendered))
    if details is not None:
        details.append(rendered["declarations"])
    return rendered["module"]


def _output_files(output: str, rendered: Dict[str, str]) -> Dict[str, str]:
    files: Dict[str, str] = {output: rendered["module"]}
    if "stubs" in rendered:
        files[os.path.splitext(output)[0] + ".pyi"] = rendered["stubs"]
    return files


def is_current(output: str, headers, library=None, stubs: bool = False, **options) -> bool:
    """True when `output` (and its stub) hold exactly what generation would write now."""
    opts = make_options(headers, library=library, stubs=stubs, **options)
    for path, text in _output_files(output, render(opts)).items():
        try:
            with open(path, encoding="utf-8", newline="") as handle:
                if handle.read() != text:
                    return False
        except OSError:
            return False
    return True


def check(module_path: str):
    from .verify import check_module

    return check_module(module_path)


def _refuse_overwriting_inputs(output: str, headers: Sequence[str]) -> None:
    target = os.path.realpath(output)
    for header in headers:
        if not header.startswith("<") and os.path.realpath(header) == target:
            raise InputError(f"-o {output} would overwrite the input header {header}")
