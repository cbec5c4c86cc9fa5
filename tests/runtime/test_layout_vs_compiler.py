"""ctypes layouts of generated records equal what the C compiler computes (sizeof/offsetof)."""

from __future__ import annotations

import ctypes

import pytest

import lazybind
from conftest import bind_text, import_path, run_c

HEADER = """\
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>
#include <netinet/ip.h>
struct list { struct list *next; int value; };
struct tree { struct tree *left, *right; struct list *items; double weight; };
struct mixed { char c; union { int i; double d; } u; short s[3][2]; struct list l; char tail; };
struct with_anon { int tag; union { struct { uint8_t a, b; }; uint32_t word; }; };
struct __attribute__((packed)) packed { char c; int i; short s; };
struct aligned { char c; int i __attribute__((aligned(16))); };
struct flex { uint32_t count; uint64_t items[]; };
union by_union { char c[5]; int i; };
/* bitfields sharing their storage unit with the members after them, as in struct ip */
struct shared_unit { unsigned a : 4; unsigned b : 4; unsigned char after; unsigned short s;
                     int c : 12; char tail; };
/* ... and with the member before them (libdrm's vc4_drm.h: __u8 clear_s; __u32 pad:24;) */
struct shares_with_before { unsigned char kind; unsigned int length : 24; unsigned int next; };
"""

# record -> fields whose offsets the compiler prints
RECORDS = {
    "struct list": ["next", "value"],
    "struct tree": ["left", "right", "items", "weight"],
    "struct mixed": ["c", "u", "s", "l", "tail"],
    "struct with_anon": ["tag", "a", "b", "word"],
    "struct packed": ["c", "i", "s"],
    "struct aligned": ["c", "i"],
    "struct flex": ["count", "items"],
    "union by_union": ["c", "i"],
    "struct stat": ["st_dev", "st_ino", "st_mode", "st_size", "st_mtim"],
    "struct tm": ["tm_sec", "tm_year", "tm_gmtoff", "tm_zone"],
    "struct timespec": ["tv_sec", "tv_nsec"],
    "struct shared_unit": ["after", "s", "tail"],
    "struct shares_with_before": ["kind", "next"],
    "struct ip": ["ip_tos", "ip_len", "ip_ttl", "ip_src", "ip_dst"],
}


@pytest.fixture(scope="module")
def layouts(tmp_path_factory):
    directory = tmp_path_factory.mktemp("layouts")
    out = bind_text(directory, "layouts", HEADER, library="c")
    program = '#include <stdio.h>\n#include <stddef.h>\n#include "layouts.h"\nint main(void) {\n'
    for record, fields in RECORDS.items():
        program += f'  printf("%zu\\n", sizeof({record}));\n'
        for field in fields:
            program += f'  printf("%zu\\n", offsetof({record}, {field}));\n'
    program += "  return 0;\n}\n"
    compiler = [int(v) for v in run_c(directory, program, ["-I", str(directory)]).split()]
    return import_path(out), compiler


def test_sizes_and_offsets_match_the_compiler(layouts):
    module, compiler = layouts
    ours = []
    for record, fields in RECORDS.items():
        cls = getattr(module, record.replace(" ", "_"))
        ours.append(ctypes.sizeof(cls))
        for field in fields:
            ours.append(getattr(cls, field).offset)
    assert ours == compiler


def test_linked_records_are_usable(layouts):
    module, _ = layouts
    first, second = module.struct_list(), module.struct_list()
    first.value, second.value = 1, 2
    first.next = ctypes.pointer(second)
    assert first.next.contents.value == 2
    anon = module.struct_with_anon()
    anon.word = 0x0201
    assert (anon.a, anon.b) == (1, 2)  # little-endian view through the anonymous struct
    assert module.__lazybind__.selftest() == []


def test_unexpressible_records_are_refused_by_name_every_time(tmp_path):
    header = tmp_path / "refuse.h"
    header.write_text("union v { int i; void *p; };\n"
                      "struct takes_union { void (*cb)(union v); int x; };\n"
                      "struct big_align { _Alignas(32) int x; };\n"
                      "struct holder { struct big_align *p; int y; };\n"
                      "#define WHERE __FILE__\n#define LINE __LINE__\n")
    out = tmp_path / "refuse_ffi.py"
    lazybind.generate([str(header)], output=str(out))
    module = import_path(out)
    assert ctypes.sizeof(module.struct_takes_union) == 16  # the callback field keeps its address
    for _ in range(2):
        with pytest.raises(TypeError, match=r"struct_big_align \(.*refuse.h:3\).*alignment"):
            module.struct_big_align
    assert ctypes.sizeof(module.struct_holder) == 16  # a pointer to it is still usable
    assert not hasattr(module, "WHERE") and not hasattr(module, "LINE")  # would echo the probe


def test_bitfields_sharing_a_unit_hold_the_bytes_c_writes(layouts, tmp_path):
    module, _ = layouts
    program = r"""
#include <stdio.h>
#include <string.h>
#include "layouts.h"
int main(void) {
    struct shared_unit u;
    memset(&u, 0, sizeof u);
    u.a = 5; u.b = 9; u.after = 0xAB; u.s = 0x1234; u.c = -77; u.tail = 'z';
    for (size_t i = 0; i < sizeof u; i++) printf("%02x", ((unsigned char *)&u)[i]);
    struct shares_with_before w = {0};
    w.kind = 0xCD; w.length = 0x123456; w.next = 7;
    printf(" ");
    for (size_t i = 0; i < sizeof w; i++) printf("%02x", ((unsigned char *)&w)[i]);
    return 0;
}
"""
    expected = run_c(tmp_path, program, ["-I", str(module.__file__).rsplit("/", 1)[0]]).split()
    value = module.struct_shared_unit(a=5, b=9, after=0xAB, s=0x1234, c=-77, tail=b"z")
    assert bytes(value).hex() == expected[0]
    assert (value.a, value.b, value.c) == (5, 9, -77)
    other = module.struct_shares_with_before(kind=0xCD, length=0x123456, next=7)
    assert bytes(other).hex() == expected[1]
    assert (other.kind, other.length, other.next) == (0xCD, 0x123456, 7)
