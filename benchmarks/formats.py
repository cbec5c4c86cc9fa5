"""How a figure is written in RESULTS.md: times, sizes, ratios.

Imports no other module of the suite."""


def fmt_time(ns):
    if ns is None:
        return "—"
    if ns >= 1e9:
        return "%.2f s" % (ns / 1e9)
    if ns >= 1e6:
        return "%.1f ms" % (ns / 1e6)
    if ns >= 1e3:
        return "%.0f µs" % (ns / 1e3) if ns >= 1e4 else "%.1f µs" % (ns / 1e3)
    return "%.0f ns" % ns


def fmt_bytes(n):
    if n is None:
        return "—"
    if abs(n) >= 1 << 20:
        return "%.1f MiB" % (n / (1 << 20))
    if abs(n) >= 1 << 10:
        return "%.1f KiB" % (n / (1 << 10))
    return "%d B" % n


def ratio(value, base):
    if value is None or not base:
        return "—"
    r = value / base
    if r >= 100:
        return "%.0fx" % r
    if r >= 10:
        return "%.1fx" % r
    return "%.2fx" % r


def cell(value, base, fmt):
    if value is None:
        return "—"
    return "%s (%s)" % (fmt(value), ratio(value, base))
