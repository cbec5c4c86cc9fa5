"""The goals of issues 7 and 17, each with its target and what this run achieved (a RESULTS.md
table). Imports formats only."""

from formats import fmt_bytes, fmt_time


def goals_table(gens, imports, floors, firsts, steady, scaling, comments_floor, first_use=None):
    goals = []
    empty = floors.get("empty_module", {})
    e_t, e_s, e_m = empty.get("import_ns"), empty.get("source_ns"), empty.get("traced")
    named = imports.get(("ssl", "lazybind_named"), {})
    full = imports.get(("ssl", "lazybind"), {})
    cg = imports.get(("ssl", "ctypesgen"), {})

    def g(name, target, value, ok):
        goals.append((name, target, value, ok))

    if named.get("import_ns") and cg.get("import_ns"):
        r = cg["import_ns"] / named["import_ns"]
        g("ssl.h `--scope named` import vs ctypesgen's ssl.h module", "≥ 200x faster",
          "%.0fx (%s vs %s)" % (r, fmt_time(named["import_ns"]), fmt_time(cg["import_ns"])),
          r >= 200)
    if named.get("traced") is not None and cg.get("traced") is not None and e_m is not None:
        a, b = named["traced"] - e_m, cg["traced"] - e_m
        r = b / a if a > 0 else float("inf")
        g("ssl.h `--scope named` import memory above an empty module vs ctypesgen's",
          "≥ 200x smaller", "%s vs %s: %s" % (fmt_bytes(a), fmt_bytes(b),
                                             "%.0fx" % r if a > 0 else "nothing above the floor"),
          r >= 200)
    if full.get("import_ns") and e_t:
        r = full["import_ns"] / e_t
        g("ssl.h default scope import vs an empty module (.pyc)", "≤ 1.5x",
          "%.2fx (%s vs %s)" % (r, fmt_time(full["import_ns"]), fmt_time(e_t)), r <= 1.5)
    split = imports.get(("ssl", "lazybind_data"), {})
    if split.get("source_ns") and e_s:
        r = split["source_ns"] / e_s
        g("ssl.h default scope import vs an empty module (source only), with `--data-file`",
          "≤ 2x", "%.2fx (%s vs %s); with .pyc %.2fx" % (
              r, fmt_time(split["source_ns"]), fmt_time(e_s), split["import_ns"] / e_t), r <= 2)
    if full.get("source_ns") and e_s:
        r = full["source_ns"] / e_s
        floor = ""
        if comments_floor:
            floor = ("; compiling the file's %s of comment lines alone takes %s (%.1fx): no"
                     " module with its data inside its .py can be under that" % (
                         fmt_bytes(comments_floor["bytes"]), fmt_time(comments_floor["ns"]),
                         (e_s + comments_floor["ns"]) / e_s))
        g("same, one self-contained file (the default; source only)", "— (see `--data-file`)",
          "%.2fx (%s vs %s)%s" % (r, fmt_time(full["source_ns"]), fmt_time(e_s), floor), None)
    if full.get("traced") is not None and e_m is not None:
        d = full["traced"] - e_m
        g("ssl.h default scope import memory above an empty module", "≤ 64 KiB",
          "%s (module %s, empty %s)" % (fmt_bytes(d), fmt_bytes(full["traced"]), fmt_bytes(e_m)),
          d <= 64 * 1024)
    lb = {n: imp for n, t, gg, imp in scaling if t == "lazybind" and imp.get("import_ns")}
    if 10 in lb and 100000 in lb and lb[10].get("traced") is not None \
            and lb[100000].get("traced") is not None:
        rt = lb[100000]["import_ns"] / lb[10]["import_ns"]
        rm = lb[100000]["traced"] - lb[10]["traced"]
        g("flat from 10 to 100k declarations (import time; memory)", "~1x; ~0 B",
          "%.2fx (%s → %s); %+d B (%s → %s)" % (
              rt, fmt_time(lb[10]["import_ns"]), fmt_time(lb[100000]["import_ns"]), rm,
              fmt_bytes(lb[10]["traced"]), fmt_bytes(lb[100000]["traced"])),
          rt <= 1.2 and rm <= 1024)
    if 10 in lb and 100000 in lb and lb[10].get("source_ns") and lb[100000].get("source_ns"):
        rs = lb[100000]["source_ns"] / lb[10]["source_ns"]
        g("source-only import from 10 to 100k declarations", "flat (not set by the issue)",
          "%.1fx (%s → %s): the comment lines are still tokenized" % (
              rs, fmt_time(lb[10]["source_ns"]), fmt_time(lb[100000]["source_ns"])), None)
    crc = {r["variant"]: r["ns"] for r in steady.get("crc32", []) if r["ns"]}
    if "lazybind" in crc and "hand ctypes, argtypes" in crc:
        r = crc["lazybind"] / crc["hand ctypes, argtypes"]
        g("steady call crc32 vs hand ctypes with argtypes", "≤ 1.0x (noise ±3%)",
          "%.3fx (%s vs %s)" % (r, fmt_time(crc["lazybind"]), fmt_time(crc["hand ctypes, argtypes"])),
          r <= 1.03)
    if "hand ctypes, argtypes, use_errno=True" in crc and "hand ctypes, argtypes" in crc:
        r = crc["hand ctypes, argtypes, use_errno=True"] / crc["hand ctypes, argtypes"]
        g("cost of use_errno=True on every call (hand ctypes, for reference)", "—",
          "%.3fx" % r, None)
    for key, title, tool, calls, rec in firsts:
        if tool == "lazybind" and key in ("zlib", "ssl") and rec.get("second_ns"):
            g("first call after the library is open (%s: %s)" % (title, calls[1]), "≤ 30 µs",
              fmt_time(rec["second_ns"]), rec["second_ns"] <= 30e3)
    goals.extend(_first_use_goals(first_use or {}))
    gen = gens.get(("ssl", "lazybind"), {})
    cgen = gens.get(("ssl", "ctypesgen"), {})
    if gen.get("gen_s"):
        g("generation of ssl.h (default scope)", "≤ 2 s",
          "%.2f s (ctypesgen: %s)" % (gen["gen_s"], "%.2f s" % cgen["gen_s"]
                                      if cgen.get("gen_s") else "—"), gen["gen_s"] <= 2)
    return goals


def _first_use_goals(first_use):
    """Issue 17: first use costs what is used."""
    if "ssl lazybind use" not in first_use:
        return []
    lazy, hand = (lambda what: first_use["ssl lazybind " + what]), (lambda what: first_use["ssl hand " + what])
    use, above = lazy("use") / hand("use"), lazy("memory") - hand("memory")
    flat = lazy("memory") / first_use["zlib lazybind memory"]
    synth = first_use["synth lazybind memory"] / first_use["zlib lazybind memory"]
    further = lazy("further") / hand("further")
    return [
        ("import + first use of two ssl.h functions vs hand ctypes (time)", "≤ 1.5x",
         "%.2fx (%s vs %s)" % (use, fmt_time(lazy("use")), fmt_time(hand("use"))), use <= 1.5),
        ("same, traced memory above hand ctypes'", "≤ 128 KiB",
         "%s (%s vs %s)" % (fmt_bytes(above), fmt_bytes(lazy("memory")), fmt_bytes(hand("memory"))),
         above <= 128 * 1024),
        ("memory after first use: ssl.h vs zlib.h; the 100k synthetic header vs zlib.h", "≤ 1.1x",
         "%.2fx; %.2fx" % (flat, synth), flat <= 1.1 and synth <= 1.1),
        ("a further function's first access vs hand ctypes' getattr + restype/argtypes", "≤ 2x",
         "%.2fx (%s vs %s)" % (further, fmt_time(lazy("further")), fmt_time(hand("further"))),
         further <= 2),
    ]

