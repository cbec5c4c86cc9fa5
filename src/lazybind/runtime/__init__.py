"""lazybind runtime: what a generated module runs on first use. Standard library only.

A generated module carries the runtime's source in its data section, one section a part: the core,
data.py (reading the module's tables), core.py (finding names, functions, variables, constants,
plain types) and libraries.py (opening the libraries a function is looked up in), then records,
callbacks, variadic, macros, info (the class of `__lazybind__`, made on the first ask), tools,
kernel, compiled, abi (calling conventions: records by value, stdcall), search (finding a
library its names did not open) and variables (a library's global variables), and errors (the
exception classes and the wording of errors about a declaration, loaded before any other part,
or on the first error).
The module's tiny `__getattr__` compiles the core on the first attribute access and the core
compiles each other part the first time it is needed, all into one namespace: a part uses the
core's names and the core calls a part's functions only after loading it. So a program that calls
two functions builds no record machinery, no callback thunk and no `__lazybind__` tools.

Imported as `lazybind.runtime` (by lazybind itself, tests and tools), this package runs every part
into its own namespace, in that order, from the files beside this one, so the same names are
found here as in a module's runtime.

The module file: the one description of its format (lazybind.emit.tables and .module write it,
runtime/core.py reads it).

The code the module runs at import is a banner and two functions. Everything else is comment
lines: the data, in sections. A section is a line `#@NAME` then its lines, each behind a
two-character prefix (`#|` for runtime source, `#:` for tables). The first function's default
argument `_at` is the directory: for each section, `NAME:START,END,LINE` (byte offsets of its
first line and of its end in the file, and the number of its first line), `count:N`, the
number of declarations, and `buckets:B,S`, `window:N` and `packing:D,I` (see names). Numbers
are fixed-width, so the directory's own length is known before the offsets are. Byte offsets
within a section below count from its first line's prefix.

* runtime:PART  the source of each runtime part, `#|`-prefixed; compiled on first need, its
           bytecode cached in __pycache__ when the directory is writable.
* names    one line per declaration, `NAME NUMBER`, each at or past the place of its hash
           bucket: a name is in bucket int.from_bytes(UTF-8 of "#:NAME ", "little") % B (its
           line's start, which `find` searches for), and bucket b's place is b * S bytes into
           the section (the directory's `buckets:B,S`). Spaces before a line's end (or before
           the first line) take the next line to its bucket's place; a bucket's lines follow
           each other, and from its place to the end of its last line is at most `window:N`
           bytes, which `find` searches. B is the first prime at or above the number of names
           modulo which 256 has a long period; S is the lines' bytes over B, over 0.9 (lazybind.
           emit.tables `_FILL`: a tenth of the section is spaces). NUMBER is the base-36 digits
           of ref << (I + KIND_BITS) | kind << I | INDEX, zero-padded to D digits (the
           directory's `packing:D,I`: the fewest for the module's numbers). INDEX numbers the
           declarations in name order (code point order): records (R<index>), aliases, macro
           calls, `lines`, `locations` and the compiled extension count in it. The kind is one
           of KIND_* below; `ref` is the byte offset of a spec in `specs`, except for an alias
           (a macro naming a function or variable), whose ref is the INDEX of the declaration it
           names. `lines` follows `names` (a window may reach into it: its lines have no space).
* lines    fixed-width (FIXED_PER_LINE per line): for each INDEX, the byte offset of its names line.
* locations fixed-width: for each INDEX, file number << 20 | line, where it was declared.
* specs    one spec per line, interned (a repeated type is one spec):
    types      p<primitive>        a PRIMITIVES name of lazybind.ir (pwchar: Windows' 2-byte
                                   wchar_t, c_wchar there; elsewhere wchar_t is the integer type
                                   its typedef names)
               *<ref> / &<ref>     pointer to a type (& when the pointee is const)
               [<n>]<ref>, []<ref> array of n elements, or of unknown length
               F<ref>:<ref>,...    function: result, then parameters; V... when variadic; W...
                                   fixed parameters called stdcall (i686 Windows' WINAPI and
                                   CALLBACK: the callee pops its arguments; WinDLL, WINFUNCTYPE).
                                   F and V are the target's C convention (on i686 Windows cdecl:
                                   CDLL/CFUNCTYPE). A function of a convention ctypes cannot call
                                   (fastcall, thiscall...) is not in the tables; a pointer to one
                                   is U0,1,<hex of "fastcall function">: its address only.
               R<index>            the record whose INDEX is <index>
               U<size>,<align>,<hex of spelling>   a type ctypes cannot express
               A<align>:<ref>      a typedef with an alignment of its own (an aligned attribute)
               X<hex of why>       a typedef, enum or variable the C compiler sizes otherwise than clang:
                                   refused at use (LayoutError); a pointer to it is c_void_p
    records    S or N (struct, union) then <size>,<align> or ? (opaque), then for each field
               ;<name>:<type ref>:<offset in bits>[:<bit width>]  (an anonymous member has no name);
               or S!/N! then the hex of why the record is refused (e.g. the compiler disagreed)
    values     i<int>  f<float repr>  s<hex of the bytes>  n (a null pointer constant)
               w<hex of the UTF-8> a wide string (L"...", TEXT("...") under UNICODE): a str
               a<int> (a pointer constant at a fixed address: MAP_FAILED, SIG_IGN; an int)
    macro calls C<index of the function>:<number of parameters>[:<type ref of the pointer
               type the macro casts the result to>], then each argument of the call, in prefix
               order: ;p<parameter number>, ;P<parameter number> (cast to the parameter type it
               is passed as), ;v<value>, or ;c<index>/<number of arguments> (;k...: cast)
               followed by that call's own arguments (a function-like macro calling a function)
* files    the header names the locations refer to, one per line.
* libraries one per line: the name given to --library, a tab, the soname found at generation.
* target   (with --target) the triple: on a machine of another architecture only the constants
           are usable, everything else raises UnsupportedTypeError.
* compiled (with --compiled) one line: the name of the module's extension (the compiled fast path,
           lazybind.emit.extension), a tab, the digest the extension must carry to be used.
* docs     (with --docstrings) base64 of zlib-compressed JSON {index: the function's header
           comment}, decoded the first time a function's __doc__ is asked for.
* meta     one line of JSON: generator version, libraries, headers, the options to compile them
           again, and `layouts`: which C compiler confirmed the record layouts at generation (or
           why none did). Read only when `__lazybind__` is asked about them.

With --data-file, OUT.py holds the banner and a stub that runs the first bytes of OUT.lazybind
(the same two functions), and OUT.lazybind everything else; the offsets are that file's.
"""

from pathlib import Path

PARTS = ("core", "errors", "records", "callbacks", "variadic", "macros", "info", "tools", "kernel",
         "compiled", "abi", "search", "variables")


# the files of a part, in order, where they are more than the part's own
FILES = {"core": ("data", "core", "libraries")}


def part_source(part: str) -> str:
    """The source of a runtime part, as a generated module carries it: its files, one after the
    other (their docstrings are then strings that do nothing)."""
    return "\n".join(_file_source(name) for name in FILES.get(part, (part,)))


def _file_source(name: str) -> str:
    return (Path(__file__).parent / f"{name}.py").read_text(encoding="utf-8")


def _run_parts(namespace: dict) -> None:
    # each file's code from its cached bytecode, as an import would have it (compiling the
    # runtime anew cost every generation about 25 ms)
    from importlib.machinery import SourceFileLoader

    for part in PARTS:
        for name in FILES.get(part, (part,)):
            loader = SourceFileLoader(f"{__name__}.{name}", str(Path(__file__).parent / f"{name}.py"))
            exec(loader.get_code(loader.name), namespace)
        namespace["_parts"].add(part)  # (a part that needs one before it finds it there)


_run_parts(globals())
