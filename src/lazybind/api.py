"""The Python API behind `lazybind.generate/inspect/check`; the CLI is a thin shell over it."""

from __future__ import annotations

import os
from typing import Optional, Sequence, Union

from . import __version__, ir
from .errors import InputError
from .options import Options, make_options


def inspect(headers: Union[str, Sequence[str]], **options) -> ir.Declarations:
    from .parse import read_declarations

    return read_declarations(make_options(headers, **options))


def render(options: Options) -> str:
    """The text of the module `options` describe."""
    from .emit import render_module
    from .libraries import describe_libraries
    from .parse import read_declarations

    declarations = read_declarations(options)
    return render_module(declarations, describe_libraries(options.libraries), __version__,
                         options.command_line(), compile_options(options))


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
    **options,
) -> str:
    opts = make_options(headers, library=library, stubs=stubs, **options)
    if output is not None:
        _refuse_overwriting_inputs(output, opts.headers)
    text = render(opts)
    if output is not None:
        from .writer import write_files_atomically

        write_files_atomically({output: text})
    return text


def is_current(output: str, **options) -> bool:
    """True when `output` holds exactly what generation would write now (`--check`)."""
    text = generate(**options)
    try:
        with open(output, encoding="utf-8", newline="") as handle:
            return handle.read() == text
    except OSError:
        return False


def check(module_path: str):
    from .verify import check_module

    return check_module(module_path)


def _refuse_overwriting_inputs(output: str, headers: Sequence[str]) -> None:
    target = os.path.realpath(output)
    for header in headers:
        if not header.startswith("<") and os.path.realpath(header) == target:
            raise InputError(f"-o {output} would overwrite the input header {header}")
