"""Front end: C headers in, `ir.Declarations` out. Only `clang_api` touches libclang."""

from __future__ import annotations

import hashlib
import os
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from .. import ir, toolchain
from ..errors import InputError
from ..options import Options
from ..precompiled import PrecompiledHeaders
from ..progress import Steps, no_progress
from . import clang_api
from .decls import DeclarationCollector
from .cc_values import compiler_accepts, precompiled_headers
from .macro_text import macro_reach
from .macros import evaluate_macros, probe_macros
from .paths import PathDisplay, system_include_dirs
from .select import select_declarations

MAIN_FILE = "__lazybind_main__.c"


TypesReady = Callable[[Tuple[ir.Declaration, ...]], None]


def read_declarations(options: Options, progress: Steps = no_progress,
                      comments: bool = True, types_ready: Optional[TypesReady] = None,
                      precompiled: Optional[PrecompiledHeaders] = None) -> ir.Declarations:
    """Parse the headers named in `options` and return everything they declare, selected and
    ordered as the options ask; the functions' header comments too, unless `comments` is false.
    `progress` is told each step as it starts. `types_ready`, if given, receives the records,
    enums and typedefs as soon as the declarations are collected, before the macros are
    evaluated: a superset of the types the result holds (the selection keeps those in scope), but
    for a record a macro alone brings in (one of another file's functions it names). The C
    compiler's runs include the `precompiled` headers if given (`headers_ahead`)."""
    _check_header_names(options.headers)
    progress("parsing with libclang")
    args = compiler_args(options)
    main_path = os.path.join(os.getcwd(), MAIN_FILE)
    main_source = main_file_source(options.headers)
    tu = clang_api.parse(main_path, main_source, args)
    builtin_dir = _builtin_dirs(options.target)[:1]
    display = PathDisplay(list(options.include_dirs) + list(system_include_dirs())
                          + _builtin_dirs(options.target))
    diagnostics = [d for d in tu.errors() if not _builtin_clash(d, builtin_dir)]
    notes = _raise_on_errors(diagnostics, options.headers, display, main_source, args)
    file_cache: Dict[str, bytes] = {}

    def read_file(path: str) -> bytes:
        data = file_cache.get(path)
        if data is None:
            with open(path, "rb") as handle:
                data = file_cache[path] = handle.read()
        return data

    collector = DeclarationCollector(display, read_file, main_path, builtin_dir, comments)
    top, named = clang_api.children(tu.cursor), _named_only(tu, options, main_path)
    files_read = tuple(tu.files_read())
    # macro_text.macro_reach follows the named files' macros into the others' (--scope named): to
    # C++'s `::`, or to a list of values, which clang would fold to its last value
    collector.collect(top, named, macros=True)
    definitions = collector.definitions
    macros, function_macros = list(definitions.macros.values()), list(definitions.function_macros.values())
    reach = macro_reach([m.name for m in macros + function_macros], definitions.body)
    progress(f"collecting declarations, probing {len(macros)} macros meanwhile")
    with ThreadPoolExecutor(max_workers=1) as pool:
        probing = pool.submit(probe_macros, main_path, main_source, args, macros, function_macros, reach)
        collector.collect(top, named)
        if types_ready is not None:
            types_ready(tuple([*collector.records.values(), *collector.enums.values(),
                               *collector.typedefs.values(), *collector.variables.values()]))
        probe = probing.result()
    # Line 1 of the main file includes <stddef.h>; header number i is on line i + 2.
    named_paths = [collector.main_inclusions[line] for line in range(2, 2 + len(options.headers))]
    progress("evaluating the macros")
    elsewhere = {n for n, c in collector.elsewhere.items() if c.kind.name == "FUNCTION_DECL"}
    exported = set(collector.functions) | set(collector.variables) | set(collector.elsewhere)
    # the enums' constants that no macro hides (a macro would be what cc computes for the name),
    # but for the compiler's own headers' (intrinsics): clang reads them configured otherwise
    # than cc does (i686 windows.h: xmmintrin.h's _MM_HINT_*, which gcc's leave out) and an
    # enumerator cc lacks costs another whole run of it, where a macro costs nothing (#ifdef)
    enumerators = {n: c for n, c in collector.enum_constants.items()
                   if n not in definitions.macros and n not in collector.intrinsic_enumerators}
    checked = set(enumerators)
    macro_results = evaluate_macros(probe, main_path, main_source, args, exported,
                                    set(collector.functions) | elsewhere, collector.convert,
                                    enumerators, precompiled)
    collector.use_enumerators(enumerators, checked - set(enumerators))
    collector.complete([a.target for a in macro_results.aliases]
                       + [t for call in macro_results.calls for t in call.targets()])
    collector.elsewhere.clear()
    macro_results = _named_targets(macro_results, set(collector.functions) | set(collector.variables))
    del tu  # libclang's AST is large: freed before the selection (macro probes parsed meanwhile)
    headers = tuple(
        ir.Header(name, hashlib.sha256(read_file(path)).hexdigest())
        for name, path in zip(options.headers, named_paths)
    )
    named_files = tuple(display(path) for path in named_paths)
    progress("selecting declarations")
    declarations, skipped = select_declarations(collector, macro_results, options, named_files)
    return ir.Declarations(
        headers=headers,
        declarations=declarations,
        skipped=tuple(sorted([*skipped, *notes], key=lambda s: (s.name, s.location))),
        target=options.target or _default_target(),
        clang_version=clang_api.clang_version(),
        named_files=named_files,
        files_read=files_read,
    )


def headers_ahead(options: Options) -> Optional[PrecompiledHeaders]:
    """The headers `options` name, being precompiled for their target's C compiler as the
    generation starts (lazybind.precompiled), for its runs to include; None without one. The
    caller closes it. The wrapper that includes them lies in a directory of its own: a header
    named from the working directory is named there by its absolute path, which every run finds
    (the layouts' run has no -iquote for the working directory, and reads the wrapper's text
    when no precompiled form was built)."""
    headers = [os.path.abspath(header) if not header.startswith("<") and os.path.isfile(header)
               else header for header in options.headers]
    return precompiled_headers(main_file_source(headers), compiler_args(options))


def _named_targets(results, known):
    """The macro results without the aliases and calls of functions the collector left out
    (with --scope named, another file's static inline `sprintf` was only known by name)."""
    aliases = tuple(a for a in results.aliases if a.target in known)
    calls = tuple(c for c in results.calls if all(t in known for t in c.targets()))
    if len(aliases) == len(results.aliases) and len(calls) == len(results.calls):
        return results
    return replace(results, aliases=aliases, calls=calls)


def _named_only(tu, options: Options, main_path: str):
    """With --scope named, the files of the named headers (only their declarations are collected,
    and the types they need); None otherwise, or when a named header is not found among the main
    file's inclusions (one an earlier header already included: then everything is collected)."""
    if options.scope != "named":
        return None
    named = clang_api.main_inclusions(tu, main_path)
    if len(named) != len(options.headers) + 1:  # <stddef.h> too
        return None
    return frozenset(named)


def compiler_args(options: Options) -> List[str]:
    args = ["-x", "c", "-std=gnu17", "-fparse-all-comments", "-fretain-comments-from-system-headers",
            # an error since clang 16, a warning for gcc, whose answer wins (mingw's scardssp.h)
            "-Wno-error=implicit-int"]
    if options.target:
        args += ["-target", options.target]
        if toolchain.header_search(options.target):
            args.append("-nostdinc")  # the target's gcc's own search list, below, and no other
        if toolchain.is_windows(options.target):
            # as the mingw gcc does by default: a tagged struct without a name is a member
            # (mingw-w64's objidl.h `struct _STGMEDIUM_UNION {...} DUMMYUNIONNAME;`)
            args.append("-fms-extensions")
    for directory in options.include_dirs:
        args.append(f"-I{directory}")
    for define in options.defines:
        args.append(f"-D{define}")
    args += [f"-isystem{d}" for d in _builtin_dirs(options.target)]
    return args


def _builtin_dirs(target: Optional[str] = None) -> List[str]:
    """The compiler's builtin headers (stddef.h...): for a target with a cross gcc, that gcc's
    whole include search list (its builtin headers, then its sysroot's); else this machine's."""
    searched = toolchain.header_search(target) if target else None
    if searched:
        return list(searched)
    builtin = clang_api.builtin_include_dir()
    return [builtin] if builtin else []


_BUILTIN_CLASH = re.compile(r"(?:definition of builtin function|conflicting types for) '\w+'")


def _builtin_clash(diagnostic, builtin_dir: List[str]) -> bool:
    """An error clang reports in the compiler's own headers because gcc's intrinsics headers
    (x86intrin.h, which mingw-w64's winnt.h includes) define as inline functions names clang has
    built in (`__rdtsc`, `_mm_pause`; `_xgetbv` with -fms-extensions). Harmless: an intrinsic is
    no library's export, and the collector leaves out the functions of the compiler's headers."""
    return (diagnostic.severity >= 3 and bool(_BUILTIN_CLASH.match(diagnostic.message))
            and any(diagnostic.file.startswith(d + os.sep) for d in builtin_dir))


def main_file_source(headers: Sequence[str]) -> str:
    """A C file that includes <stddef.h> and then each header, the way the contract defines
    macro values; an `<angle>` name is searched on the include path only."""
    lines = ["#include <stddef.h>"]
    for header in headers:
        if header.startswith("<") and header.endswith(">"):
            lines.append(f"#include {header}")
        else:
            lines.append(f'#include "{header}"')
    return "\n".join(lines) + "\n"


def _check_header_names(headers: Sequence[str]) -> None:
    for header in headers:
        if any(c in header for c in '"\n\r\0') or not header.strip("<>"):
            raise InputError(f"{header!r} is not a header name")
        if header.startswith("<"):
            continue
        if os.path.isdir(header):
            raise InputError("is a directory, not a header", file=header)
        if os.path.exists(header) and not os.access(header, os.R_OK):
            raise InputError("cannot read header: permission denied", file=header)


def _raise_on_errors(diagnostics, headers: Sequence[str], display: PathDisplay,
                     main_source: str, args: Sequence[str]) -> List[ir.Skipped]:
    """Raise on clang's first error. Only a header's own `#error` that the system compiler does
    not reach (glibc's tgmath.h refuses clang's view of the _FloatN types) lets generation go
    on: it is reported as skipped, since what the header declares after it may be missing."""
    errors = [d for d in diagnostics if d.severity >= 3]
    if not errors:
        return []
    if all(d.from_error_directive for d in errors) and compiler_accepts(main_source, args):
        return [ir.Skipped("#error", ir.Location(display(d.file), d.line, d.column),
                           f"clang reaches this #error and the C compiler does not; what the "
                           f"header declares after it may be missing: {d.message}")
                for d in errors]
    first = errors[0]
    more = f" (and {len(errors) - 1} more errors)" if len(errors) > 1 else ""
    if first.file.endswith(MAIN_FILE) and 2 <= first.line < 2 + len(headers):
        header = headers[first.line - 2]
        raise InputError(f"header not found: {first.message}{more}", file=header.strip("<>"))
    raise InputError(first.message + more, display(first.file), first.line, first.column)


def _default_target() -> str:
    import sysconfig

    multiarch = sysconfig.get_config_var("MULTIARCH") or ""
    return multiarch or sysconfig.get_platform()
