"""lazybind runtime, callbacks: C function pointer types that take plain Python callables, the
thunks made for them (alive as long as their callable, since C may keep them), `Callback`
handles, and a callback's exception carried back to the C call that ran it. Runs in the runtime's
shared namespace (see core.py), loaded the first time a function pointer type is built.
Standard library only.
"""

import ctypes
import sys
import _thread
import _weakref


class _Callbacks:
    """Binding's methods for function pointer types (mixed into Binding when this part loads)."""

    def _callback_type(self, spec):
        result, _, params = spec[1:].partition(":")
        restype = self._callback_value(int(result), is_result=True)
        argtypes = [self._callback_value(int(p)) for p in params.split(",") if p]
        factory = ctypes.WINFUNCTYPE if spec[0] == "W" else ctypes.CFUNCTYPE  # W: stdcall
        base = factory(restype, *argtypes)

        def from_param(cls, value):  # a plain function: 3.9's classmethod mishandles a bound one
            return _callback_from_param(cls, value)

        return type(base.__name__, (base,), {
            "_flags_": base._flags_, "_argtypes_": base._argtypes_, "_restype_": base._restype_,
            "from_param": classmethod(from_param), "_lazybind_callback_": True})

    def _callback_value(self, ref, is_result=False):
        spec = self.spec(ref)
        if spec[0] in "*&" and is_result:
            return ctypes.c_void_p  # ctypes callbacks can only return simple types
        ctype = self.ctype(ref)
        if isinstance(ctype, type) and (issubclass(ctype, (ctypes.Structure, ctypes.Union))):
            raise UnsupportedTypeError("ctypes callbacks cannot take or return records by value")
        return ctype


def _callback_from_param(cls, value):
    """Accept a plain Python callable where C expects a function pointer: its thunk lives as
    long as the callable (see _kept_thunk). The call about to run takes callbacks: one
    raising meanwhile is re-raised when it returns (_reraise_callback_error)."""
    _callback_state.calling = True
    if value is None or isinstance(value, ctypes._CFuncPtr):
        return value
    if isinstance(value, Callback):
        return value._as_parameter_
    if isinstance(value, int):
        return cls(value)  # an address, as a pointer constant holds (SIG_IGN, SQLITE_TRANSIENT)
    if not callable(value):
        raise TypeError("expected a callable or None, not %s" % type(value).__name__)
    return _kept_thunk(cls, value)


_callback_state = _thread._local()  # per thread: .calling (a call taking callbacks runs), .error


def _guarded(call, restype, label):
    """A thunk's Python side. An exception in `call` gives C a zero result; the exception is kept
    for the call of ours that took callbacks and is running on this thread, to re-raise when C
    returns, or, when none is (a handler C runs later, from a call taking no callback: expat's
    XML_Parse), printed as ctypes prints it, since nothing can propagate it."""
    default = None if restype is None else 0

    def guarded(*args):
        try:
            return call(*args)
        except BaseException as error:
            state = _callback_state
            if getattr(state, "calling", False):
                if getattr(state, "error", None) is None:
                    state.error = error
            else:
                sys.stderr.write("Exception ignored in lazybind callback %s:\n" % label)
                __import__("traceback").print_exc()
            return default

    return guarded


# id(owner) -> (reference to the owner, {(prototype, function or None): thunk}): the thunks of
# Python callables passed for function pointers, each alive as long as its callable
_kept = {}


def _kept_thunk(prototype, function):
    """The C function pointer of type `prototype` calling `function`, made once per callable and
    kept as long as the callable lives, for C may keep it past the call (expat handlers, signal,
    atexit). The thunk refers to its callable weakly, or nothing would ever free either; a bound
    method, made anew at each attribute access, is kept by its object and its function."""
    func = getattr(function, "__func__", None)
    owner = getattr(function, "__self__", None) if func is not None else None
    if owner is None:
        owner, func = function, None
    entry = _kept.get(id(owner))
    if entry is None or entry[0]() is not owner:
        entry = _kept[id(owner)] = (_reference(owner), {})
    thunk = entry[1].get((prototype, func))
    if thunk is None:
        owner_of = entry[0]
        if func is None:
            def call(*args):
                return owner_of()(*args)
        else:
            def call(*args):
                return func(owner_of(), *args)
        label = getattr(function, "__qualname__", type(function).__name__)
        thunk = entry[1].setdefault((prototype, func), prototype(
            _guarded(call, prototype._restype_, label)))
    return thunk


def _reference(owner):
    """A weak reference to `owner` that forgets its thunks when it dies; an object that cannot be
    referred to weakly (a builtin function) is held for the life of the process."""
    key = id(owner)

    def forget(reference):
        if _kept.get(key, (None,))[0] is reference:
            del _kept[key]

    try:
        return _weakref.ref(owner, forget)
    except TypeError:
        return lambda: owner


class Callback:
    """A C function pointer made from a Python callable, kept alive until closed; for callbacks
    C stores and calls after the registering call returns. Pass it where the pointer goes."""

    def __init__(self, prototype, function):
        if not (isinstance(prototype, type) and issubclass(prototype, ctypes._CFuncPtr)):
            raise TypeError("callback() needs a function pointer type (a typedef of the module, "
                            "or f.argtypes[i]), not %r" % (prototype,))
        self._pointer = prototype(_guarded(function, prototype._restype_, repr(function)))
        self.function = function

    @property
    def pointer(self):
        """The C function pointer, a ctypes function: for a struct field (`s.zalloc = h.pointer`)."""
        if self._pointer is None:
            raise ValueError("callback %r is closed" % (self.function,))
        return self._pointer

    _as_parameter_ = pointer  # how ctypes passes the handle itself as an argument

    @property
    def closed(self):
        return self._pointer is None

    def close(self):
        """Free the C function pointer: only once C can no longer call it."""
        self._pointer = None

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()
        return False


def _reraise_callback_error(result, function, arguments):
    state = _callback_state
    state.calling = False
    error = getattr(state, "error", None)
    if error is not None:
        state.error = None
        raise error
    return result


_mix_in(Binding, _Callbacks)
