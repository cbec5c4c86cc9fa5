"""lazybind runtime, variadic calls: C's default argument promotions for the arguments of a `...`
function after its fixed parameters, each accepted as a pointer or scalar parameter would be.
Runs in the runtime's shared namespace (see core.py), loaded the first time a variadic function
is built. Standard library only.
"""

import ctypes
import os


def _variadic(function, name, fixed, binding):
    """C's default argument promotions for the variable arguments of a `...` function. A record
    passed by value among them is checked as a fixed parameter's is (abi.py), in that call."""

    def call(*args):
        if len(args) < fixed:
            raise TypeError("%s() takes at least %d arguments (%d given)" % (name, fixed, len(args)))
        extra = [_promote(value, number, name) for number, value in enumerate(args[fixed:], fixed + 1)]
        if any(type(type(value)) in _RECORD_TYPES for value in extra):
            _need("abi")
            try:
                _record_misrouted(binding, function.restype, tuple(function.argtypes) + tuple(
                    type(value) for value in extra))
            except UnsupportedTypeError as error:
                raise UnsupportedTypeError("%s: %s" % (name, error)) from None
        return function(*args[:fixed], *extra)

    call.__name__ = call.__qualname__ = name
    call.__wrapped__ = function
    if binding._data.has("docs"):
        _need("tools")
        call.__doc__ = binding.doc_of(name)
    return call


_BYREF = type(ctypes.byref(ctypes.c_int()))
# ctypes scalars narrower than int, which C promotes to int (libffi refuses them in `...`)
_TO_INT = {ctypes.c_bool, ctypes.c_byte, ctypes.c_ubyte, ctypes.c_short, ctypes.c_ushort}


def _promote(value, position=0, name="a variadic C function"):
    """`value` as C receives it among the `...` arguments: ints as int (long, unsigned long when
    wider), floats and c_float as double, bool and every ctypes scalar narrower than int as int,
    bytes as char *, a writable buffer (bytearray) as a pointer into it, pointers, arrays (their
    address), byref() and function pointers as they are. What C cannot receive is a TypeError
    naming the argument's position and type."""
    kind = type(value)
    if kind is int or kind is bool:
        return _promoted_int(value, position, name)
    if kind is float:
        return ctypes.c_double(value)
    if kind is bytes:
        return ctypes.c_char_p(value)
    if value is None or kind is _BYREF or isinstance(value, (
            ctypes._Pointer, ctypes.Array, ctypes._CFuncPtr, ctypes.Structure, ctypes.Union)):
        return value
    if isinstance(value, ctypes._SimpleCData):
        return _promoted_scalar(value)
    if hasattr(value, "_as_parameter_"):  # a __lazybind__.callback handle, or a user's own
        return _promote(value._as_parameter_, position, name)
    if isinstance(value, int):  # an IntEnum...
        return _promoted_int(int(value), position, name)
    if isinstance(value, float):
        return ctypes.c_double(value)
    if not isinstance(value, str):
        try:
            return _buffer_pointer(memoryview(value), position, name)
        except TypeError:
            pass
    hint = ""
    if isinstance(value, str):
        hint = ": C has no str, pass bytes (text.encode())"
    elif callable(value):
        hint = ": a C function pointer needs its C type, pass __lazybind__.callback(prototype, f)"
    raise TypeError("%s(): argument %d: cannot pass %s to a variadic C function%s"
                    % (name, position, kind.__name__, hint))


def _promoted_int(value, position, name):
    if -2 ** 31 <= value < 2 ** 31:
        return ctypes.c_int(value)
    if -2 ** 63 <= value < 2 ** 63:
        return ctypes.c_longlong(value)  # C's long where it is 64-bit: the same in a call
    if 0 <= value < 2 ** 64:
        return ctypes.c_ulonglong(value)
    raise TypeError("%s(): argument %d: %d does not fit in 64 bits" % (name, position, value))


def _promoted_scalar(value):
    kind = type(value)
    base = kind.__mro__[1] if kind.__mro__[1] is not ctypes._SimpleCData else kind
    if base is ctypes.c_float:
        return ctypes.c_double(value.value)
    if base in _TO_INT:
        return ctypes.c_int(value.value)
    if base is ctypes.c_char:  # C's char: signed on x86, unsigned on Arm, PowerPC, s390...
        machine = os.uname().machine if hasattr(os, "uname") else "x86"
        signed = machine.startswith(("x86", "i386", "i486", "i586", "i686", "amd64", "AMD64"))
        return ctypes.c_int((ctypes.c_byte if signed else ctypes.c_ubyte).from_buffer_copy(value).value)
    if base is ctypes.c_wchar:
        return ctypes.c_int(ord(value.value))
    return value


def _buffer_pointer(view, position, name):
    """A pointer to a buffer's own memory (C may write into a bytearray), or to a copy of a
    read-only one."""
    if not view.contiguous:
        raise TypeError("%s(): argument %d: a non-contiguous buffer cannot be passed to C"
                        % (name, position))
    if view.readonly:
        return ctypes.c_char_p(view.tobytes())
    return (ctypes.c_char * view.nbytes).from_buffer(view)
