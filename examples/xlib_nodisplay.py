"""Xlib without an X server: the event structures and keysym tables a client uses, and the
error path a client must handle when there is no display to connect to.

    python examples/xlib_nodisplay.py
"""

import ctypes

from example_binding import bind

x = bind("xlib_ffi", ["X11/Xlib.h"], library="X11")

# XEvent is a union of every event structure, padded to 24 longs; Xlib's protocol types by name.
print("sizeof XEvent=%d XKeyEvent=%d XButtonEvent=%d XConfigureEvent=%d XClientMessageEvent=%d" % (
    ctypes.sizeof(x.XEvent), ctypes.sizeof(x.XKeyEvent), ctypes.sizeof(x.XButtonEvent),
    ctypes.sizeof(x.XConfigureEvent), ctypes.sizeof(x.XClientMessageEvent)))
print("offsetof XKeyEvent.keycode=%d XClientMessageEvent.data=%d" % (
    x.XKeyEvent.keycode.offset, x.XClientMessageEvent.data.offset))
print("KeyPress=%d ButtonPress=%d ClientMessage=%d LASTEvent=%d KeyPressMask=%d StructureNotifyMask=%d"
      % (x.KeyPress, x.ButtonPress, x.ClientMessage, x.LASTEvent, x.KeyPressMask, x.StructureNotifyMask))

# An event as a client builds one to send: every member of the union shares the `type` field.
event = x.XEvent()
event.xclient.type = x.ClientMessage
event.xclient.format = 32
event.xclient.data.l[0] = 0x1234
print("event.type through xany: %d, data.l[0]=%#x" % (event.xany.type, event.xclient.data.l[0]))

# The keysym tables are compiled into libX11: no server needed.
for name in (b"Return", b"Escape", b"a", b"F1", b"Shift_L"):
    keysym = x.XStringToKeysym(name)
    back = ctypes.string_at(x.XKeysymToString(keysym))  # char *: Xlib's own static string
    print("keysym %s=%#x back to %s" % (name.decode(), keysym, back.decode()))

display = x.XOpenDisplay(b":99-nonexistent")  # Display *: a NULL pointer is falsy
print("XOpenDisplay(:99-nonexistent):", "NULL, no display" if not display else "connected?!")
