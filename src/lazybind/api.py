"""The Python API behind `lazybind.generate/inspect/check`; the CLI is a thin shell over it."""

from __future__ import annotations

import contextlib
import functools
import gc
import os
import warnings
from collections import Counter
from dataclasses import replace
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Dict, Optional, Sequence, Tuple, Union

from . import __version__, ir
from .errors import BuildWarning, InputError
from .options import Options, make_options
from .progress import Steps, no_progress


def _without_cycle_collection(function):
    """`function` run with Python's cycle collector off (then as it was). Generation makes
    millions of objects and next to no cycles, and each full pass of the collector walks them
    all: they cost windows.h's generation 0.6 s of its 5.7 (seven full passes), ssl.h's 0.15 s."""

    @functools.wraps(function)
    def run(*args, **kwargs):
        enabled = gc.isenabled()
        gc.disable()
        try:
            return function(*args, **kwargs)
        finally:
            if enabled:
                gc.enable()

    return run


@_without_cycle_collection
def inspect(headers: Union[str, Sequence[str]], **options) -> ir.Declarations:
    from .parse import read_declarations

    return read_declarations(make_options(headers, **options))


@_without_cycle_collection
def render(options: Options, output: Optional[str] = None, progress: Steps = no_progress) -> dict:
    """The files `options` describe: {"module": text}, with stubs {"stubs": text}, with the
    compiled path {"extension": lazybind.emit.extension.Extension} (named after `output`); and
    the IR they came from (with the functions' header comments only for docstrings or stubs),
    under "declarations". `progress` is told each step as it starts."""
    from .emit import encode, render_module
    from .emit.module import render_split
    from .emit.stubs import render_stubs
    from .libraries import describe_libraries
    from .parse import headers_ahead, read_declarations

    refused: Tuple[Tuple[ir.Skipped, ...], Tuple[ir.Skipped, ...]] = ((), ())
    # the C compiler's runs (macro values, layouts) include the headers precompiled meanwhile;
    # the pool's work is done before they are removed
    ahead = headers_ahead(options)
    with ahead or contextlib.nullcontext(), ThreadPoolExecutor(max_workers=1) as pool:
        layouts = _Layouts(pool, options, ahead)
        # the header comments only where they are written: docstrings, stubs
        declarations = read_declarations(options, progress, comments=options.docstrings or options.stubs,
                                         types_ready=layouts.types_ready, precompiled=ahead)
        _check_release_pairs(options, declarations)
        libraries = describe_libraries(options.libraries)
        sized = {d.name: d for d in declarations.declarations if isinstance(d, ir.CONFIRMED)}
        types = _type_layouts(declarations.declarations)
        names = sized.keys()
        # the early run's word, when it is in and covers the module: what it disputes is refused
        # before the one encoding, rather than encoded twice
        settled = layouts.settled(sized)
        if settled is not None:
            declarations = _with_refusals(declarations, settled.of(names).disagreements)
        tables = encode(declarations, libraries, __version__, compile_options(options), options.docstrings)
        progress("confirming record layouts with the C compiler")
        data = tables.in_memory()  # both read the same tables (read-only)
        layouts.cover(sized, data, types)
        # with --target, ctypes here cannot build the layouts
        if not options.target:
            progress("finding what ctypes cannot express")
            refused = _refusals(declarations, data)
        confirmation = layouts.confirmation(data, types).of(names)
    if confirmation.why:  # the module says only that they are clang's: say why here
        warnings.warn(f"record layouts not confirmed by a C compiler: {confirmation.why}", BuildWarning,
                      stacklevel=2)
    if confirmation.disagreements and settled is None:
        declarations = _with_refusals(declarations, confirmation.disagreements)
        tables = encode(declarations, libraries, __version__, compile_options(options), options.docstrings)
        if not options.target:
            refused = _refusals(declarations, tables.in_memory())  # the disputed records too, now
    declarations = replace(declarations, layouts=confirmation.note, refused_at_use=refused[0],
                           inexact_at_use=refused[1])
    declarations = _with_exports(declarations, options)
    tables = tables.with_meta(layouts=confirmation.note)
    if options.release:  # type name -> the function releasing it, for __lazybind__.scoped
        tables = tables.with_meta(release=dict(options.release))
    rendered: Dict[str, Any] = {"declarations": declarations}
    if options.compiled:
        progress("writing the compiled fast path")
        rendered["extension"] = _render_extension(declarations, output)
        if rendered["extension"].source is not None:
            tables = tables.with_extension(rendered["extension"].name, rendered["extension"].digest)
    progress("writing the module")
    if options.data_file:
        rendered.update(zip(("module", "data"), render_split(declarations, tables,
                                                            options.command_line())))
    else:
        rendered["module"] = render_module(declarations, tables, options.command_line())
    if options.stubs:
        rendered["stubs"] = render_stubs(declarations)
    return rendered


class _Layouts:
    """The C compiler's word on the record layouts, asked of the types as soon as the
    declarations are collected: cc works in another process beside the macro steps (windows.h:
    not after its macros' own compiler run). Asked again of the module's tables when one of its
    records, typedefs, enums or variables came afterwards (--scope named: another file's
    function a macro names, and the types it takes), or is not as collected (an enum whose
    constant cc corrected)."""

    def __init__(self, pool: ThreadPoolExecutor, options: Options, precompiled=None) -> None:
        self._pool, self._options, self._precompiled = pool, options, precompiled
        self._collected: Dict[str, ir.Declaration] = {}  # the types as collected, one per name
        self._confirming: Optional[Future] = None

    def types_ready(self, types: Tuple[ir.Declaration, ...]) -> None:
        # one per name, as the selection keeps them
        for kind in ir.CONFIRMED:
            for declaration in types:
                if isinstance(declaration, kind):
                    self._collected.setdefault(declaration.name, declaration)
        self._confirming = self._pool.submit(_confirm_types, tuple(self._collected.values()),
                                             self._options, self._precompiled)

    def settled(self, sized: Dict[str, ir.Declaration]):
        """The early run's LayoutConfirmation if it is done and had all the module's `sized`
        declarations, as they are (None otherwise: not waited for)."""
        if self._covers(sized) and self._confirming.done():
            return self._confirming.result()
        return None

    def _covers(self, sized: Dict[str, ir.Declaration]) -> bool:
        return self._confirming is not None and all(
            self._collected.get(name) == declaration for name, declaration in sized.items())

    def cover(self, sized: Dict[str, ir.Declaration], data, types: Dict[str, Tuple[int, int]]
              ) -> None:
        """Have the module's `sized` declarations confirmed: the records' layouts, the
        typedefs', enums' and variables' sizes against clang's `types` layouts; by the early run
        if it had them all, as they are."""
        if not self._covers(sized):
            self._confirming = self._pool.submit(_confirm_tables, data, types, self._precompiled)

    def confirmation(self, data, types: Dict[str, Tuple[int, int]]):
        """lazybind.verify.LayoutConfirmation, once the compiler is done."""
        return self._confirming.result() or _confirm_tables(data, types, self._precompiled)


def _confirm_types(types: Tuple[ir.Declaration, ...], options: Options, precompiled):
    """The compiler's word on the layouts of the records among `types` (a header's records,
    enums and typedefs, one per name); None when they cannot be encoded (a name no module can
    hold, which the selection may leave out: the module's tables are confirmed instead)."""
    from .emit import encode

    declarations = ir.Declarations((), tuple(sorted(types, key=lambda d: d.name)))
    try:
        tables = encode(declarations, (), __version__, compile_options(options))
    except InputError:
        return None
    return _confirm_tables(tables.in_memory(), _type_layouts(types), precompiled)


def _type_layouts(declarations) -> Dict[str, Tuple[int, int]]:
    """clang's (sizeof, _Alignof) of each typedef, enum and variable (its alignment 0: not
    compared) of `declarations`, by name."""
    return {d.name: d.layout for d in declarations if isinstance(d, ir.SIZED)}


def _confirm_tables(data, types: Dict[str, Tuple[int, int]], precompiled):
    from .verify import confirm_layouts

    return confirm_layouts(data, os.getcwd(), types, precompiled)


def _with_refusals(declarations: ir.Declarations, disagreements: Dict[str, str]) -> ir.Declarations:
    """A record the C compiler lays out differently from clang, or a typedef, enum or variable it
    sizes otherwise, is refused at use, the difference its reason: the module never builds a
    layout in doubt."""
    if not disagreements:
        return declarations
    return replace(declarations, declarations=tuple(
        replace(d, refused=disagreements[d.name])
        if isinstance(d, ir.CONFIRMED) and d.name in disagreements
        else d for d in declarations.declarations))


def _with_exports(declarations: ir.Declarations, options: Options) -> ir.Declarations:
    """For a Windows target whose DLLs have PE files here (wine's), which declared functions
    they do not export (lazybind.pe): reported, not written into the module."""
    from .toolchain import is_windows

    if not options.target or not options.libraries or not is_windows(options.target):
        return declarations
    from .pe import unexported

    note, missing = unexported(declarations, options.libraries, options.target)
    return replace(declarations, exports=note, unexported=missing)


def _check_release_pairs(options: Options, declarations: ir.Declarations) -> None:
    """--release TYPE=FUNCTION names a type and a function the module holds: a typo is bad
    input now, not a KeyError in a `with` block later."""
    kinds = {d.name: d for d in declarations.declarations}
    for type_name, function in options.release:
        if not isinstance(kinds.get(type_name), (ir.Record, ir.Typedef, ir.Enum)):
            raise InputError(f"--release {type_name}={function}: no type {type_name!r} in the module")
        if not isinstance(kinds.get(function), ir.Function):
            raise InputError(f"--release {type_name}={function}: no function {function!r} in the module")


def _refusals(declarations: ir.Declarations, data):
    """(what the module refuses at use because ctypes cannot express it, what it gives with an
    alignment other than C's because ctypes on this Python cannot give C's)."""
    from .verify import refusals_at_use

    where = {d.name: d.location for d in declarations.declarations}

    def located(found: Dict[str, str]) -> Tuple[ir.Skipped, ...]:
        items = [ir.Skipped(name, where[name], reason) for name, reason in found.items()]
        return tuple(sorted(items, key=lambda s: (s.location.file, s.location.line, s.name)))

    refused, inexact = refusals_at_use(data)
    return located(refused), located(inexact)


def _render_extension(declarations: ir.Declarations, output: Optional[str]):
    from .emit.extension import extension_name, render_extension

    if output is None:
        raise InputError("the compiled fast path needs an output file (-o OUT.py)")
    return render_extension(declarations, extension_name(output), __version__)


def summarize(declarations: ir.Declarations, coverage: Optional[Counter] = None) -> str:
    """`191 functions, 28 records, 648 constants, ...; 390 skipped (302 name already used, ...)`,
    and with the compiled path `; compiled: 170 of 191 functions (12 variadic, ...)`."""
    kinds = Counter(type(d).__name__.lower() for d in declarations.declarations)
    plural = {"function": "functions", "variable": "variables", "record": "records",
              "enum": "enums", "typedef": "typedefs", "constant": "constants", "alias": "aliases",
              "macrocall": "macro calls"}
    held = ", ".join(f"{kinds[k]} {plural[k]}" for k in plural if kinds[k])
    reasons = Counter(s.reason.split(":")[0].split(" at ")[0] for s in declarations.skipped)
    why = ", ".join(f"{count} {reason}" for reason, count in reasons.most_common(3))
    skipped = f"; {len(declarations.skipped)} skipped ({why})" if declarations.skipped else ""
    if any(s.name == "#error" for s in declarations.skipped):
        skipped += "; clang reached a header's #error that the C compiler does not (see -v)"
    disputed = [d for d in declarations.declarations if isinstance(d, ir.CONFIRMED) and d.refused]
    with_them, cannot = _refused_with(disputed, declarations.refused_at_use)
    if disputed:
        refused = Counter(type(d).__name__.lower() for d in disputed)
        skipped += "; %s refused at use (the C compiler disagrees with clang%s)" % (", ".join(
            f"{refused[k]} {plural[k]}" for k in ("record", "typedef", "enum", "variable")
            if refused[k]), f"; {with_them} more passing them by value" if with_them else "")
    elif declarations.layouts.startswith("clang's"):
        skipped += "; record layouts not confirmed by a C compiler"
    if cannot:
        skipped += f"; {cannot} refused at use (ctypes cannot express them)"
    if declarations.inexact_at_use:
        skipped += (f"; alignment not expressible on this Python: "
                    f"{len(declarations.inexact_at_use)}")
    if declarations.exports:
        skipped += f"; {declarations.exports}"
    return (held or "nothing declared") + skipped + (_coverage(coverage) if coverage is not None else "")


def _refused_with(disputed, refused_at_use) -> Tuple[int, int]:
    """Of what the module refuses at use (`refused_at_use`), how many are refused because they
    take, give or hold one of the `disputed` declarations by value (their reason is its own),
    and how many because ctypes cannot express them; the disputed themselves are neither."""
    names, reasons = {d.name for d in disputed}, [d.refused for d in disputed]
    others = [s for s in refused_at_use if s.name not in names]
    with_them = sum(1 for s in others if any(reason in s.reason for reason in reasons))
    return with_them, len(others) - with_them


def _coverage(coverage: Counter) -> str:
    total = sum(coverage.values())
    rest = ", ".join(f"{count} {reason}" for reason, count in sorted(
        coverage.items(), key=lambda item: (-item[1], item[0])) if reason != "compiled")
    return f"; compiled: {coverage['compiled']} of {total} functions" + (f" ({rest} on ctypes)" if rest else "")


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
    progress: Steps = no_progress,
    **options,
) -> str:
    """Module text for `headers`; written to `output` (and OUT.pyi with stubs) when given. A
    `details` list receives the IR the module was made from (for summaries and reports);
    `progress` is told each step as it starts (lazybind.progress shows them on a terminal)."""
    opts = make_options(headers, library=library, stubs=stubs, **options)
    return generate_from(opts, output, details, progress)


def generate_from(opts: Options, output: Optional[str] = None, details: Optional[list] = None,
                  progress: Steps = no_progress) -> str:
    """`generate` for options already made (lazybind.cache also records what they resolved)."""
    if output is not None:
        _refuse_overwriting_inputs(output, opts.headers)
    rendered = render(opts, output, progress)
    if output is not None:
        from .writer import write_files_atomically

        write_files_atomically(_output_files(output, rendered))
        if "extension" in rendered and rendered["extension"].source is not None:
            progress("building the compiled fast path with the C compiler")
            _build(output, rendered["extension"])
    if details is not None:
        details.append(rendered["declarations"])
        if "extension" in rendered:
            details.append(rendered["extension"].coverage)
    return rendered["module"]


def _build(output: str, extension) -> None:
    """Compile the extension beside `output`; a build that cannot happen is a warning only."""
    from .extension_build import build_extension, extension_path

    directory = os.path.dirname(output)
    problem = build_extension(os.path.join(directory, extension.name + ".c"),
                              extension_path(directory, extension.name))
    if problem is not None:
        warnings.warn(f"{output}: compiled fast path not built, the module uses ctypes: {problem}",
                      BuildWarning, stacklevel=3)


def _output_files(output: str, rendered: dict) -> Dict[str, str]:
    files: Dict[str, str] = {output: rendered["module"]}
    if "stubs" in rendered:
        files[os.path.splitext(output)[0] + ".pyi"] = rendered["stubs"]
    if "data" in rendered:
        from .runtime import DATA_SUFFIX

        files[os.path.splitext(output)[0] + DATA_SUFFIX] = rendered["data"]
    extension = rendered.get("extension")
    if extension is not None and extension.source is not None:
        files[os.path.join(os.path.dirname(output), extension.name + ".c")] = extension.source
    return files


def is_current(output: str, headers, library=None, stubs: bool = False, **options) -> bool:
    """True when `output` (and its stub) hold exactly what generation would write now."""
    opts = make_options(headers, library=library, stubs=stubs, **options)
    for path, text in _output_files(output, render(opts, output)).items():
        try:
            with open(path, encoding="utf-8", newline="") as handle:
                if handle.read() != text:
                    return False
        except OSError:
            return False
    return True


@_without_cycle_collection
def check(module_path: str, pkg: Sequence[str] = ()):
    """`check_module`, the packages' -I/-D (pkg-config on this machine) added to the module's."""
    from .pkgconfig import find_packages
    from .verify import check_module

    packages = find_packages(list(pkg))
    flags = [f"-I{d}" for p in packages for d in p.include_dirs]
    flags += [f"-D{d}" for p in packages for d in p.defines]
    return check_module(module_path, flags)


def _refuse_overwriting_inputs(output: str, headers: Sequence[str]) -> None:
    target = os.path.realpath(output)
    for header in headers:
        if not header.startswith("<") and os.path.realpath(header) == target:
            raise InputError(f"-o {output} would overwrite the input header {header}")
