"""IR to the C source of a module's compiled fast path: a CPython extension that calls the
functions whose signatures it can convert exactly, beside the ctypes path for the rest.

The file is compiled_prelude.c, a generated part, then compiled_module.c. The generated part is
one wrapper per signature shape (METH_FASTCALL's convention, called by compiled_module.c's
function type through vectorcall) and the lazy table in native form, one slot per function,
ordered as the runtime's entries (so a slot is found by a binary search of its entry index):

* lb_entries       the runtime's entry index of each slot (ascending): the packed ids;
* lb_names         one string of the functions' names, NUL-separated: what dlsym looks up;
* lb_name_offsets  where each slot's name starts in lb_names;
* lb_shapes        each slot's wrapper, an index into lb_wrappers;
* lb_slots         one address per slot, NULL until the function's first attribute access.

None of these holds a pointer but lb_wrappers (one per shape), so loading the extension applies
next to no relocations whatever the number of functions. Only names that are C identifiers are
written into the C text, and only inside a string literal.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple, Union

from .. import ir

# How an integer crosses: its C type, whether signed, and its range as <limits.h>/<stdint.h> names.
_INTEGERS: Dict[str, Tuple[str, bool, str, str]] = {
    "schar": ("signed char", True, "SCHAR_MIN", "SCHAR_MAX"),
    "uchar": ("unsigned char", False, "0", "UCHAR_MAX"),
    "short": ("short", True, "SHRT_MIN", "SHRT_MAX"),
    "ushort": ("unsigned short", False, "0", "USHRT_MAX"),
    "int": ("int", True, "INT_MIN", "INT_MAX"),
    "uint": ("unsigned int", False, "0", "UINT_MAX"),
    "long": ("long", True, "LONG_MIN", "LONG_MAX"),
    "ulong": ("unsigned long", False, "0", "ULONG_MAX"),
    "longlong": ("long long", True, "LLONG_MIN", "LLONG_MAX"),
    "ulonglong": ("unsigned long long", False, "0", "ULLONG_MAX"),
    "char16": ("uint_least16_t", False, "0", "UINT_LEAST16_MAX"),
    "char32": ("uint_least32_t", False, "0", "UINT_LEAST32_MAX"),
}
_FLOATS = {"float": "float", "double": "double"}
_C_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_FIXED = Path(__file__).resolve().parent

# Why a function stays on the ctypes path (the generation summary counts each reason).
VARIADIC = "variadic"
BY_VALUE = "struct or union by value"
OTHER_TYPE = "char, wchar_t, long double or a type ctypes lacks"
NOT_AN_IDENTIFIER = "name not a C identifier"


@dataclass(frozen=True)
class Kind:
    """How one parameter or result crosses: 'signed', 'unsigned', 'bool', 'float', 'pointer',
    'callback' or 'void', with the C type the wrapper declares for it (every pointer is a void *)."""

    how: str
    ctype: str
    low: str = ""
    high: str = ""


Shape = Tuple[Kind, Tuple[Kind, ...]]


@dataclass(frozen=True)
class Extension:
    name: str  # the extension module's name, e.g. _zlib_ffi_lazybind
    source: Optional[str]  # the whole C file; None when no function can take the compiled path
    digest: str  # LB_TABLES: what the runtime compares before using the extension
    coverage: Counter  # "compiled" and each reason a function stays on ctypes -> count


def extension_name(output: str) -> str:
    """`_OUT_lazybind` for OUT.py, made a C identifier (it names the PyInit function)."""
    stem = Path(output).name.rsplit(".", 1)[0]
    return "_" + re.sub(r"\W", "_", stem, flags=re.ASCII) + "_lazybind"


def classify(function: ir.Function) -> Union[Shape, str]:
    """The shape of a function the extension can call exactly, or why it cannot."""
    if function.type.variadic:
        return VARIADIC
    if not _C_IDENTIFIER.fullmatch(function.name):
        return NOT_AN_IDENTIFIER
    kinds: List[Kind] = []
    for ctype in (function.type.result, *function.type.params):
        kind = _kind(ctype)
        if isinstance(kind, str):
            return kind
        kinds.append(kind)
    result, *params = kinds
    if any(p.how == "void" for p in params):
        return OTHER_TYPE
    return result, tuple(params)


def _kind(ctype: ir.CType) -> Union[Kind, str]:
    ctype = ir.strip_typedefs(ctype)
    if isinstance(ctype, ir.EnumRef):
        ctype = ctype.underlying
    if isinstance(ctype, (ir.Pointer, ir.Array)):
        target = ir.strip_typedefs(ctype.pointee if isinstance(ctype, ir.Pointer) else ctype.element)
        return Kind("callback" if isinstance(target, ir.FunctionType) else "pointer", "void *")
    if isinstance(ctype, ir.FunctionType):
        return Kind("callback", "void *")
    if isinstance(ctype, ir.RecordRef):
        return BY_VALUE
    if not isinstance(ctype, ir.Primitive):
        return OTHER_TYPE
    if ctype.name in _INTEGERS:
        c_name, signed, low, high = _INTEGERS[ctype.name]
        return Kind("signed" if signed else "unsigned", c_name, low, high)
    if ctype.name in _FLOATS:
        return Kind("float", _FLOATS[ctype.name])
    if ctype.name == "bool":
        return Kind("bool", "_Bool")
    if ctype.name == "void":
        return Kind("void", "void")
    return OTHER_TYPE


def render_extension(declarations: ir.Declarations, name: str, version: str) -> Extension:
    """The extension for a module (without source when no function can take the compiled path)."""
    coverage: Counter = Counter()
    compiled: List[Tuple[int, str, Shape]] = []
    for index, declaration in enumerate(declarations.declarations):
        if isinstance(declaration, ir.Function):
            shape = classify(declaration)
            coverage["compiled" if not isinstance(shape, str) else shape] += 1
            if not isinstance(shape, str):
                compiled.append((index, declaration.name, shape))
    if not compiled:
        return Extension(name=name, source=None, digest="", coverage=coverage)
    shapes: Dict[Shape, int] = {}
    for _, _, shape in compiled:
        shapes.setdefault(shape, len(shapes))
    body = "".join([
        f"/* Generated by lazybind {version}. Do not edit: regenerate. */\n",
        (_FIXED / "compiled_prelude.c").read_text(encoding="utf-8"),
        _tables(name, compiled, shapes),
        "".join(_shape_function(number, shape) for shape, number in shapes.items()),
        _wrappers(len(shapes)),
    ])
    module_part = (_FIXED / "compiled_module.c").read_text(encoding="utf-8")
    digest = hashlib.sha256((body + module_part).encode()).hexdigest()[:16]
    source = body + f'\n#define LB_TABLES "{digest}"\n\n' + module_part
    return Extension(name=name, source=source, digest=digest, coverage=coverage)


def _tables(name: str, compiled: Sequence[Tuple[int, str, Shape]], shapes: Dict[Shape, int]) -> str:
    offsets, position = [], 0
    for _, function, _ in compiled:
        offsets.append(position)
        position += len(function) + 1
    names = "\n".join(f'    "{function}\\0"' for _, function, _ in compiled)
    return (f'\n#define LB_MODULE_NAME "{name}"\n#define LB_INIT PyInit_{name}\n'
            f"#define LB_COUNT {len(compiled)}\n\n"
            + _array("const uint32_t", "lb_entries", [index for index, _, _ in compiled])
            + f"static const char lb_names[] =\n{names};\n\n"
            + _array("const uint32_t", "lb_name_offsets", offsets)
            + _array("const uint16_t", "lb_shapes", [shapes[shape] for _, _, shape in compiled])
            + "static void *lb_slots[LB_COUNT];\n\n")


def _array(ctype: str, name: str, values: Sequence[int]) -> str:
    rows = [", ".join(str(v) for v in values[i:i + 12]) for i in range(0, len(values), 12)]
    return f"static {ctype} {name}[LB_COUNT] = {{\n" + "".join(f"    {row},\n" for row in rows) + "};\n\n"


def _wrappers(count: int) -> str:
    rows = "".join(f"    lb_shape_{n},\n" for n in range(count))
    return f"static const lb_wrapper lb_wrappers[] = {{\n{rows}}};\n"


def _shape_function(number: int, shape: Shape) -> str:
    """The wrapper of every function of one shape: convert each argument (or hand the call to
    ctypes), call the slot's address, convert the result, release what the arguments held."""
    result, params = shape
    views = [i for i, kind in enumerate(params) if kind.how == "pointer"]
    thunks = [i for i, kind in enumerate(params) if kind.how == "callback"]
    return (
        f"static PyObject *lb_shape_{number}(PyObject *context, PyObject *const *args, "
        "Py_ssize_t nargs) {\n"
        "    PyObject *result = NULL;\n    int status = LB_CTYPES;\n"
        + "".join(f"    {kind.ctype} a{i};\n" for i, kind in enumerate(params))
        + "".join(f"    Py_buffer view{i};\n" for i in views)
        + "".join(f"    PyObject *thunk{i} = NULL;\n" for i in thunks)
        + "".join(f"    view{i}.obj = NULL;\n" for i in views)
        + f"    if (nargs != {len(params)})\n        goto done;\n    status = LB_OK;\n"
        + "".join(_conversion(i, kind) for i, kind in enumerate(params))
        + _call(result, params, checks_callbacks=bool(thunks))
        + "done:\n"
        + "".join(f"    if (view{i}.obj != NULL)\n        PyBuffer_Release(&view{i});\n" for i in views)
        + "".join(f"    Py_XDECREF(thunk{i});\n" for i in thunks)
        + "    return status == LB_CTYPES ? lb_ctypes(context, args, nargs) : result;\n}\n\n")


def _call(result: Kind, params: Sequence[Kind], checks_callbacks: bool) -> str:
    prototype = ", ".join(kind.ctype for kind in params) or "void"
    arguments = ", ".join(f"a{i}" for i in range(len(params)))
    returns = result.how != "void"
    return (
        "    {\n"
        f"        typedef {result.ctype} (*lb_function)({prototype});\n"
        "        lb_function function = (lb_function)lb_address(lb_slots, context);\n"
        + (f"        {result.ctype} r;\n" if returns else "")
        + "        PyThreadState *state = lb_release_gil(context);\n"
        + f"        {'r = ' if returns else ''}function({arguments});\n"
        "        lb_take_gil(state);\n"
        f"        result = {_result(result)};\n"
        + ("        result = lb_callback_check(context, result);\n" if checks_callbacks else "")
        + "    }\n")


def _conversion(i: int, kind: Kind) -> str:
    check = "        goto done;\n"
    if kind.how == "callback":
        return ("    if ((status = lb_callback(args[%d], PyTuple_GET_ITEM(context, LB_PARAMETER(%d)), "
                "&thunk%d, &a%d)) != LB_OK)\n" % (i, i, i, i) + check)
    if kind.how == "pointer":
        return ("    if ((status = lb_pointer(args[%d], PyTuple_GET_ITEM(context, LB_PARAMETER(%d)), "
                "PyTuple_GET_ITEM(context, LB_ARRAY), &view%d, &a%d)) != LB_OK)\n" % (i, i, i, i)
                + check)
    if kind.how == "signed":
        call = f'lb_signed(args[{i}], {i}, {kind.low}, {kind.high}, "{kind.ctype}", &t)'
        temporary = "long long"
    elif kind.how == "unsigned":
        call = f'lb_unsigned(args[{i}], {i}, {kind.high}, "{kind.ctype}", &t)'
        temporary = "unsigned long long"
    elif kind.how == "bool":
        call, temporary = f"lb_bool(args[{i}], &t)", "int"
    else:
        call, temporary = f"lb_double(args[{i}], &t)", "double"
    return (f"    {{\n        {temporary} t;\n        if ((status = {call}) != LB_OK)\n    "
            f"{check}        a{i} = ({kind.ctype})t;\n    }}\n")


def _result(kind: Kind) -> str:
    return {
        "void": "(Py_INCREF(Py_None), Py_None)",  # Py_NewRef is 3.10+
        "signed": "PyLong_FromLongLong(r)",
        "unsigned": "PyLong_FromUnsignedLongLong(r)",
        "bool": "PyBool_FromLong(r)",
        "float": "PyFloat_FromDouble(r)",
        "pointer": "lb_pointer_result(r, PyTuple_GET_ITEM(context, LB_RESULT))",
        # an instance of the ctypes callback type holding the address, as ctypes makes it
        "callback": "lb_pointer_result(r, PyTuple_GET_ITEM(context, LB_RESULT))",
    }[kind.how]
