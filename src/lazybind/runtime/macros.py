"""lazybind runtime, macro calls: a function-like macro that calls a function (with its parameters,
constants and other calls in their places) becomes a Python function making that call, with C's
pointer casts. Runs in the runtime's shared namespace (see core.py), loaded the first time a
macro call is used. Standard library only.
"""

import ctypes


class _MacroCalls:
    """Binding's methods for macro calls (mixed into Binding when this part loads)."""

    def _macro_call(self, index, name, ref):
        """A Python function doing what the function-like macro does: call a function with its
        parameters, constants and other calls in their places."""
        head, *arguments = self.spec(ref)[1:].split(";")
        target_index, count, *result = head.split(":")
        target_index, count = int(target_index), int(count)
        target_name = self.name_at(target_index)
        target = self.getattr(target_name)
        call = self._call_of(target, None, iter(arguments))
        result_type = self.result_ctype(result[0]) if result else None

        def macro(*args):
            if len(args) != count:
                raise TypeError("%s() takes %d arguments (%d given)" % (name, count, len(args)))
            value = call(args)
            return value if result_type is None else _cast_result(value, result_type)

        macro.__name__ = macro.__qualname__ = name
        macro.__wrapped__ = target
        macro.__doc__ = "The C macro %s: calls %s." % (name, target_name)
        return macro

    def _call_of(self, target, count, arguments):
        """A function of the macro's arguments calling `target` in its expansion; `arguments` is
        an iterator over the argument specs, of which the call takes its `count` (see the format in
        core.py); the outermost call takes them all (`count` None)."""
        types = getattr(getattr(target, "__wrapped__", target), "argtypes", None) or ()
        makers = []
        while count is None or len(makers) < count:
            spec = next(arguments, None)
            if spec is None:
                break
            number = len(makers)
            makers.append(self._argument_of(spec, types[number] if number < len(types) else None,
                                            arguments))
        return lambda args: target(*[make(args) for make in makers])

    def _argument_of(self, spec, parameter_type, rest):
        tag, text = spec[0], spec[1:]
        if tag == "p":
            number = int(text)
            return lambda args: args[number]
        if tag == "P":
            number = int(text)
            return lambda args: _as_pointer(args[number], parameter_type)
        if tag == "v":
            value = _value(text)
            return lambda args: value
        entry, count = (int(v) for v in text.split("/"))
        call = self._call_of(self.getattr(self.name_at(entry)), count, rest)
        return call if tag == "c" else lambda args: _as_pointer(call(args), parameter_type)


def _as_pointer(value, ctype):
    """What a C cast to the pointer type `ctype` does where ctypes would refuse `value` (a
    pointer of another type, an address): a `ctype` pointing where `value` does."""
    if isinstance(ctype, type) and issubclass(ctype, ctypes._Pointer) and not isinstance(value, ctype) \
            and isinstance(value, (int, ctypes._Pointer, ctypes.Array, ctypes.c_void_p)):
        return ctypes.cast(value, ctype)
    return value


def _cast_result(value, ctype):
    """A macro's result cast to the pointer type `ctype`, as functions returning it give it:
    bytes for `const char *`, an int for `void *`, else a pointer object."""
    if ctype is ctypes.c_char_p or ctype is ctypes.c_void_p:
        if isinstance(value, (ctypes._Pointer, ctypes.Array)):
            value = ctypes.cast(value, ctypes.c_void_p).value
        return ctype(value).value if isinstance(value, int) else value
    return _as_pointer(value, ctype)


_mix_in(Binding, _MacroCalls)
