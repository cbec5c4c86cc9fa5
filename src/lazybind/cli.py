"""`lazybind` command line: a thin shell over lazybind.api."""

from __future__ import annotations

import argparse
import json
import os
import sys
import warnings
from typing import Optional, Sequence

from . import __version__
from .errors import BuildWarning, LazybindError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lazybind", description="Lazy Python bindings from C headers.")
    parser.add_argument("--version", action="version", version=f"lazybind {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    generate = commands.add_parser("generate", help="write a binding module for C headers")
    generate.add_argument("headers", nargs="*", metavar="HEADER")
    generate.add_argument("--library", "-l", action="append", default=[], metavar="LIB")
    generate.add_argument("-o", "--output", metavar="OUT.py")
    _add_compiler_options(generate)
    generate.add_argument("--scope", choices=("all", "named"), default="all")
    generate.add_argument("--only", metavar="REGEX")
    generate.add_argument("--exclude", metavar="REGEX")
    generate.add_argument("--stubs", action="store_true", help="also write OUT.pyi")
    generate.add_argument("--docstrings", action="store_true",
                          help="keep header comments in OUT.py too, as the functions' __doc__")
    generate.add_argument("--data-file", action="store_true",
                          help="put the tables in OUT.lazybind beside a small OUT.py")
    generate.add_argument("--target", metavar="TRIPLE")
    generate.add_argument("--release", action="append", default=[], metavar="TYPE=FUNCTION",
                          help="__lazybind__.scoped(x) releases a TYPE with FUNCTION")
    generate.add_argument("--compiled", action="store_true",
                          help="also write and build a C extension that makes calls faster")
    generate.add_argument("--check", action="store_true",
                          help="write nothing; exit 1 when OUT.py is not what generation gives now")
    loudness = generate.add_mutually_exclusive_group()
    loudness.add_argument("-q", "--quiet", action="store_true", help="print nothing on success")
    loudness.add_argument("-v", "--verbose", action="store_true",
                          help="also list every skipped declaration and why")

    inspect = commands.add_parser("inspect", help="print what the headers declare")
    inspect.add_argument("headers", nargs="+", metavar="HEADER")
    _add_compiler_options(inspect)
    inspect.add_argument("--target", metavar="TRIPLE")
    inspect.add_argument("--json", action="store_true")

    check = commands.add_parser("check", help="verify a module against the system C compiler")
    check.add_argument("module", metavar="OUT.py")
    check.add_argument("--pkg", action="append", default=[], metavar="NAME",
                       help="compile the check with this pkg-config package's -I/-D as found here")

    cache = commands.add_parser("cache", help="list or clear the modules lazybind.load() cached")
    cache.add_argument("action", choices=("list", "clear"))
    cache.add_argument("--cache-dir", metavar="DIR",
                       help="the cache (default: $LAZYBIND_CACHE_DIR, else ~/.cache/lazybind)")
    return parser


def _add_compiler_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-I", dest="include_dirs", action="append", default=[], metavar="DIR")
    parser.add_argument("-D", dest="defines", action="append", default=[], metavar="NAME[=VALUE]")
    parser.add_argument("--pkg", action="append", metavar="NAME",
                        help="a pkg-config package: its -I, -D and libraries")


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return _COMMANDS[args.command](args)
    except LazybindError as error:
        print(f"lazybind: {error}" if error.file is None else str(error), file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        return 130
    except Exception as error:  # a bug in lazybind: one line, the traceback on request
        if os.environ.get("LAZYBIND_DEBUG"):
            raise
        print(f"lazybind: internal error: {type(error).__name__}: {error} "
              "(set LAZYBIND_DEBUG=1 for the traceback)", file=sys.stderr)
        return 3


def _generate(args: argparse.Namespace) -> int:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", BuildWarning)
        status = _generate_files(args)
    for warning in caught:
        print(f"lazybind: warning: {warning.message}", file=sys.stderr)
    return status


def _generate_files(args: argparse.Namespace) -> int:
    from . import api

    if not args.headers:
        from .config import generate_from_pyproject

        return generate_from_pyproject(check=args.check, report=None if args.quiet else _say)
    if not args.output:
        print("lazybind: error: generate needs -o OUT.py", file=sys.stderr)
        return 2
    options = dict(
        headers=args.headers, library=args.library, pkg=args.pkg, include_dirs=args.include_dirs,
        defines=args.defines, scope=args.scope, only=args.only, exclude=args.exclude,
        target=args.target, stubs=args.stubs, release=args.release, docstrings=args.docstrings,
        data_file=args.data_file, compiled=args.compiled,
    )
    if args.check:
        if api.is_current(args.output, **options):
            return 0
        print(f"{args.output}: stale: regenerate it with lazybind generate", file=sys.stderr)
        return 1
    from .progress import for_stream

    details: list = []
    with for_stream(sys.stderr, args.output, quiet=args.quiet) as progress:
        api.generate(output=args.output, details=details, progress=progress, **options)
    if not args.quiet:
        _say(f"{args.output}: {api.summarize(*details)}")
        _warn_refusals(details[0].refused_at_use, everything=args.verbose)
        _warn_refusals(details[0].inexact_at_use, everything=args.verbose,
                       what="with an alignment this Python cannot express")
    if args.verbose:
        for skipped in details[0].skipped:
            print(f"{skipped.location}: skipped {skipped.name}: {skipped.reason}", file=sys.stderr)
        for record in details[0].declarations:
            if getattr(record, "refused", ""):
                print(f"{record.location}: refused {record.name}: {record.refused}", file=sys.stderr)
        for function in details[0].unexported:
            print(f"{function.location}: {function.name}: {function.reason}", file=sys.stderr)
    return 0


def _warn_refusals(refused, everything: bool, shown: int = 10, what: str = "refused at use") -> None:
    """What the module will refuse at use (or give inexactly), one warning a name (the first
    few without -v)."""
    listed = refused if everything else refused[:shown]
    for item in listed:
        _say(f"{item.location}: warning: {item.reason}")
    if len(refused) > len(listed):
        _say(f"... and {len(refused) - len(listed)} more {what} (-v lists them)")


def _say(line: str) -> None:
    print(line, file=sys.stderr)


def _inspect(args: argparse.Namespace) -> int:
    from . import api
    from .describe import describe_json, describe_text

    declarations = api.inspect(args.headers, include_dirs=args.include_dirs, defines=args.defines,
                               target=args.target, pkg=args.pkg)
    if args.json:
        json.dump(describe_json(declarations), sys.stdout, indent=1, sort_keys=True)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(describe_text(declarations))
    return 0


def _check(args: argparse.Namespace) -> int:
    from . import api

    report = api.check(args.module, pkg=args.pkg)
    sys.stdout.write(report.text())
    return 0 if report.ok else 1


def _cache(args: argparse.Namespace) -> int:
    from . import _cache_directory
    from .cache import clear, entries, entry_size

    directory = _cache_directory(args.cache_dir)
    if args.action == "clear":
        _say(f"{directory}: removed {clear(directory)} cached modules")
        return 0
    found = entries(directory)
    sizes = [entry_size(entry) for entry, _ in found]
    print(f"{directory}: {len(found)} cached modules, {_size(sum(sizes))}")
    for (entry, manifest), size in zip(found, sizes):
        if manifest is None:
            print(f"{os.path.basename(entry)}  (being generated, or its manifest is damaged)")
        else:
            print(f"{manifest.module}  {manifest.options}  ({_size(size)})")
    return 0


def _size(count: int) -> str:
    return f"{count / 1024:.0f} KiB" if count < 1 << 20 else f"{count / (1 << 20):.1f} MiB"


_COMMANDS = {"generate": _generate, "inspect": _inspect, "check": _check, "cache": _cache}


if __name__ == "__main__":
    sys.exit(main())
