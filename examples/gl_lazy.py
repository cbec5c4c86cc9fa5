"""OpenGL's whole C API (GL/gl.h and GL/glext.h: ~3000 functions, ~6000 constants) as a module
that costs nothing until used: importing it opens no library, and reading a constant loads no
function. No GL context is needed for any of this.

    python examples/gl_lazy.py
"""

import collections

from example_binding import bind


def libgl_mapped():
    """Whether libGL is mapped into this process, as the kernel sees it."""
    with open("/proc/self/maps") as maps:
        return any("/libGL.so" in line for line in maps)


details = []
# glext.h declares its prototypes only under GL_GLEXT_PROTOTYPES (else only PFN... typedefs).
gl = bind("gl_ffi", ["GL/gl.h", "GL/glext.h"], library="GL", defines=["GL_GLEXT_PROTOTYPES"],
          details=details)
kinds = collections.Counter(type(d).__name__ for d in details[0].declarations)
print("bound: %d functions, %d constants, %d typedefs" % (
    kinds["Function"], kinds["Constant"], kinds["Typedef"]))
print("after import: libGL mapped=%s, resolved=%s" % (libgl_mapped(), gl.__lazybind__.resolved()))
print("GL_TEXTURE_2D=%#x GL_COMPUTE_SHADER=%#x GL_VERSION_4_6=%d" % (
    gl.GL_TEXTURE_2D, gl.GL_COMPUTE_SHADER, gl.GL_VERSION_4_6))
print("after three constants: libGL mapped=%s, resolved=%s" % (
    libgl_mapped(), sorted(gl.__lazybind__.resolved())))
functions = [d.name for d in details[0].declarations if type(d).__name__ == "Function"]
exported = sum(gl.__lazybind__.available(name) for name in functions)  # dlsym each, once
print("after looking up every function: libGL mapped=%s, %d of %d exported by %s" % (
    libgl_mapped(), exported, len(functions), gl.__lazybind__.library_path[0]))
