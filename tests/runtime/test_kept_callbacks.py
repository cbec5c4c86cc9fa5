"""A plain Python callable that C keeps (issue 16): expat stores its handlers in XML_SetElementHandler
and calls them later, from XML_Parse. The thunk made for a callable must live as long as the
callable, not as long as the registering call; the events must be pyexpat's on the same document.
Bound methods are kept by their object and function; the same callable passed again makes no new
thunk; a thunk goes when its callable goes."""

from __future__ import annotations

import ctypes
import gc
import xml.parsers.expat

import pytest

from conftest import bind_header, import_path

DOCUMENT = (b'<?xml version="1.0"?>\n<library name="city" open="yes">'
            b'<book id="1"><title>C &amp; Python</title></book>'
            b'<book id="2"><title>ctypes</title><note lang="fr">\xc3\xa9t\xc3\xa9</note></book>'
            b'<empty/>tail text</library>')
CHUNK = 7  # small chunks: handlers run in many XML_Parse calls after registration returned


@pytest.fixture(scope="module")
def expat(tmp_path_factory):
    return import_path(bind_header(tmp_path_factory.mktemp("expat"), "expat", ["expat.h"],
                                   library="expat"))


def _merged(events):
    """Character data joined: expat splits it wherever a chunk or an entity ends."""
    merged = []
    for event in events:
        if event[0] == "data" and merged and merged[-1][0] == "data":
            merged[-1] = ("data", merged[-1][1] + event[1])
        else:
            merged.append(event)
    return merged


def pyexpat_events():
    events = []
    parser = xml.parsers.expat.ParserCreate()
    parser.StartElementHandler = lambda name, attrs: events.append(
        ("start", name, tuple(sorted(attrs.items()))))
    parser.EndElementHandler = lambda name: events.append(("end", name))
    parser.CharacterDataHandler = lambda text: events.append(("data", text))
    parser.Parse(DOCUMENT, True)
    return _merged(events)


def _attributes(pointer):
    values = []
    while pointer[len(values)] is not None:
        values.append(pointer[len(values)].decode())
    return tuple(sorted(zip(values[::2], values[1::2])))


def _parse_in_chunks(x, parser):
    for start in range(0, len(DOCUMENT), CHUNK):
        chunk = DOCUMENT[start:start + CHUNK]
        final = start + CHUNK >= len(DOCUMENT)
        assert x.XML_Parse(parser, chunk, len(chunk), final) == x.XML_STATUS_OK, \
            x.XML_ErrorString(x.XML_GetErrorCode(parser))


def _register_local_functions(x, parser, events):
    """Three local functions, registered; this frame then returns and nothing else holds them
    but the handlers' owner: the test below keeps them alive through `keep`."""
    def start(user_data, name, attributes):
        events.append(("start", name.decode(), _attributes(attributes)))

    def end(user_data, name):
        events.append(("end", name.decode()))

    def data(user_data, text, length):
        events.append(("data", ctypes.string_at(text, length).decode()))

    x.XML_SetElementHandler(parser, start, end)
    x.XML_SetCharacterDataHandler(parser, data)
    return start, end, data


def test_local_functions_kept_by_c_are_called_after_registration(expat):
    x = expat
    events = []
    parser = x.XML_ParserCreate(None)
    keep = _register_local_functions(x, parser, events)
    gc.collect()  # the registering calls' converted arguments are gone
    _parse_in_chunks(x, parser)
    x.XML_ParserFree(parser)
    assert _merged(events) == pyexpat_events()
    assert len(keep) == 3


class Collector:
    def __init__(self):
        self.events = []

    def start(self, user_data, name, attributes):
        self.events.append(("start", name.decode(), _attributes(attributes)))

    def end(self, user_data, name):
        self.events.append(("end", name.decode()))

    def data(self, user_data, text, length):
        self.events.append(("data", ctypes.string_at(text, length).decode()))


def test_bound_methods_are_kept_by_their_object(expat):
    """`collector.start` is a new object at each access: only the collector keeps it alive."""
    x = expat
    collector = Collector()
    parser = x.XML_ParserCreate(None)
    x.XML_SetElementHandler(parser, collector.start, collector.end)
    x.XML_SetCharacterDataHandler(parser, collector.data)
    gc.collect()
    _parse_in_chunks(x, parser)
    x.XML_ParserFree(parser)
    assert _merged(collector.events) == pyexpat_events()


def _kept_thunks(module):
    return type(module.__lazybind__._binding).__init__.__globals__["_kept"]


def test_the_same_callable_makes_one_thunk_and_it_goes_with_the_callable(expat):
    x = expat
    kept = _kept_thunks(x)
    parser = x.XML_ParserCreate(None)
    collector = Collector()
    for _ in range(100):
        x.XML_SetElementHandler(parser, collector.start, collector.end)
    assert len(kept[id(collector)][1]) == 2  # start and end, once each
    thunk = kept[id(collector)][1][(x.XML_SetElementHandler.argtypes[1], Collector.start)]
    assert ctypes.cast(thunk, ctypes.c_void_p).value is not None
    x.XML_SetElementHandler(parser, None, None)  # C lets go first, then Python
    del collector, thunk
    gc.collect()
    assert not any(isinstance(entry[0](), Collector) for entry in kept.values())
    x.XML_ParserFree(parser)


def test_an_exception_in_a_kept_handler_is_printed_and_parsing_goes_on(expat, capfd):
    x = expat
    seen = []

    def start(user_data, name, attributes):
        seen.append(name)
        if name == b"book":
            raise ValueError("handler failed on a book")

    parser = x.XML_ParserCreate(None)
    x.XML_SetElementHandler(parser, start, None)
    _parse_in_chunks(x, parser)  # XML_Parse takes no callback: nothing could re-raise it
    x.XML_ParserFree(parser)
    assert seen == [b"library", b"book", b"title", b"book", b"title", b"note", b"empty"]
    error = capfd.readouterr().err
    assert error.count("ValueError: handler failed on a book") == 2, error
    assert "Exception ignored in lazybind callback" in error
