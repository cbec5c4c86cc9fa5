"""Write a synthetic C header with about N declarations, for the scaling benchmark.

The mix is roughly that of openssl/ssl.h with its includes: per 20 declarations, 6 functions,
11 object-like macros, 1 struct, 1 typedef and 1 enum (tag plus one member). Functions use the
structs by pointer, so a generator has types to follow. No library exports the functions:
the scaling benchmark only imports the modules.

    python benchmarks/synth.py N OUT.h
"""

import sys


def write_header(n, path):
    out = ["/* synthetic header: %d declarations */" % n,
           "#ifndef SYNTH_%d_H" % n, "#define SYNTH_%d_H" % n, "",
           "struct synth_base { int id; double weight; char name[16]; };", ""]
    count = 1
    i = 0
    while count < n:
        slot = i % 20
        if slot < 6:
            out.append("int synth_fn_%d(int a, const char *b, struct synth_base *p, unsigned long n);" % i)
            count += 1
        elif slot < 17:
            out.append("#define SYNTH_M_%d (%d + 0x%x)" % (i, i, slot))
            count += 1
        elif slot == 17:
            out.append("struct synth_s_%d { int a; long b; struct synth_base *base; unsigned char tag[%d]; };"
                       % (i, 1 + i % 8))
            count += 1
        elif slot == 18:
            out.append("typedef struct synth_s_%d synth_t_%d;" % (i - 1, i))
            count += 1
        else:
            out.append("enum synth_e_%d { SYNTH_E_%d = %d };" % (i, i, i))
            count += 2
        i += 1
    out += ["", "#endif", ""]
    with open(path, "w") as f:
        f.write("\n".join(out))
    return count


if __name__ == "__main__":
    print(write_header(int(sys.argv[1]), sys.argv[2]))
