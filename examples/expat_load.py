"""Parse XML with libexpat, bound in one line from its installed header: `lazybind.load("expat.h",
pkg="expat")` asks pkg-config for expat's flags and library, generates and checks the binding
the first time, and imports it from lazybind's cache every time after (no libclang, no compiler).

    python examples/expat_load.py FILE.xml    # prints each event, then where the document breaks

The handlers are plain Python functions. expat keeps them and calls them later, from XML_Parse:
a callable passed for a function pointer stays callable by C as long as the callable lives, and
these live as long as the parse. The document is fed in small chunks, so handlers run across
many XML_Parse calls; character data is joined where expat splits it (at chunk and entity ends).
"""

import ctypes
import sys

import lazybind

x = lazybind.load("expat.h", pkg="expat")
CHUNK = 64


def parse(document: bytes):
    """(the events, None) or (the events so far, (error message, line, column))."""
    events = []

    def start(user_data, name, attributes):
        pairs, index = [], 0
        while attributes[index] is not None:  # NULL-terminated: name, value, name, value...
            pairs.append(attributes[index].decode())
            index += 1
        events.append(("start", name.decode(), tuple(zip(pairs[::2], pairs[1::2]))))

    def end(user_data, name):
        events.append(("end", name.decode()))

    def data(user_data, text, length):
        piece = ctypes.string_at(text, length).decode()
        if events and events[-1][0] == "data":
            events[-1] = ("data", events[-1][1] + piece)
        else:
            events.append(("data", piece))

    parser = x.XML_ParserCreate(None)
    with x.__lazybind__.scoped(parser, x.XML_ParserFree):
        x.XML_SetElementHandler(parser, start, end)
        x.XML_SetCharacterDataHandler(parser, data)
        for offset in range(0, len(document) or 1, CHUNK):
            chunk = document[offset:offset + CHUNK]
            if x.XML_Parse(parser, chunk, len(chunk), offset + CHUNK >= len(document)) != x.XML_STATUS_OK:
                error = (x.XML_ErrorString(x.XML_GetErrorCode(parser)).decode(),
                         x.XML_GetCurrentLineNumber(parser), x.XML_GetCurrentColumnNumber(parser))
                return events, error
    return events, None


def main(path: str) -> None:
    with open(path, "rb") as handle:
        document = handle.read()
    print("expat:", x.XML_ExpatVersion().decode())
    events, error = parse(document)
    for event in events:
        print(*event)
    print("error:", "none" if error is None else "%s at line %d, column %d" % error)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
