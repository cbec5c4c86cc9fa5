"""Where a lazy module's per-declaration data can live, and what each place costs (issue #7).

    python benchmarks/storage.py [--runs N]     writes benchmarks/STORAGE.md

The same payload, the data sections of the openssl/ssl.h binding (every name, entry and type spec
of 15,000+ declarations), is stored five ways behind the same two-function bootstrap:

- comment lines (what lazybind writes): `#:` lines after the code; the compiler skips them, the
  module reads its own source on first use;
- a bytes constant: `_DATA = b"..."` at module level, in the .pyc, unmarshalled at every import;
- a str constant inside a function body: the nested code object is unmarshalled with the module
  all the same, though the function never runs at import;
- zlib + base64 in comment lines: a third of the bytes to tokenize, a decompression on first use;
- a sidecar file beside the module, read on first use: nothing for the compiler to see.

For each: file and .pyc sizes, import time with bytecode and from source only (fresh processes,
median), and the cost of getting the payload back as text on first use. No timing is asserted:
this is a report.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import py_compile
import statistics
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent
WORK = HERE / "_work" / "storage"
SRC = HERE.parent / "src"
BOOTSTRAP = "def __getattr__(name):\n    raise AttributeError(name)\n\n\ndef __dir__():\n    return []\n"

TIMER = """
import ctypes, importlib, importlib.util, json, sys, time
sys.path.insert(0, sys.argv[1])
importlib.util.find_spec("_no_such_module_")
t = time.perf_counter_ns()
importlib.import_module(sys.argv[2])
print(time.perf_counter_ns() - t)
"""


def payload() -> str:
    """The data sections of a real ssl.h binding, as lazybind writes them."""
    sys.path.insert(0, str(SRC))
    import lazybind

    module = lazybind.generate(["openssl/ssl.h"], library=["ssl", "crypto"])
    return module[module.index("\n#@meta\n") + 1:]


def variants(data: str) -> dict:
    """{name: (module text, sidecar text or None, how first use gets the payload back)}."""
    packed = base64.b64encode(zlib.compress(data.encode(), 6)).decode()
    wrapped = "".join(f"#:{packed[i:i + 76]}\n" for i in range(0, len(packed), 76))
    return {
        "comment lines (lazybind)": (BOOTSTRAP + "\n" + data, None, "read own source, slice"),
        "bytes constant": (BOOTSTRAP + f"\n_DATA = {data.encode()!r}\n", None, "the constant"),
        "str constant in a function": (BOOTSTRAP + f"\n\ndef _data():\n    return {data!r}\n",
                                       None, "call the function"),
        "zlib + base64 comment lines": (BOOTSTRAP + "\n" + wrapped, None,
                                        "read own source, b64decode, decompress"),
        "sidecar file": (BOOTSTRAP, data, "read the sidecar"),
    }


def first_use(kind: str, path: Path) -> float:
    """Seconds to get the payload back as text, as the module would on first use."""
    start = time.perf_counter()
    if kind.startswith("comment"):
        text = path.read_text()
        text[text.index("\n#@meta\n"):]
    elif kind.startswith("zlib"):
        text = path.read_text()
        zlib.decompress(base64.b64decode(text[text.index("#:"):]))
    elif kind.startswith("sidecar"):
        path.with_suffix(".data").read_text()
    elif kind.startswith("bytes"):
        pass  # already a Python object since the import
    return time.perf_counter() - start


def import_ns(directory: Path, module: str, source_only: bool, runs: int) -> float:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if source_only:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        env["PYTHONPYCACHEPREFIX"] = str(directory / "_no_cache_")
    times = [int(subprocess.run([sys.executable, "-c", TIMER, str(directory), module], env=env,
                                capture_output=True, text=True, check=True).stdout)
             for _ in range(runs)]
    return statistics.median(times)


def measure(runs: int) -> list:
    data = payload()
    WORK.mkdir(parents=True, exist_ok=True)
    directory = Path(tempfile.mkdtemp(dir=WORK))
    (directory / "empty_module.py").write_text("")
    py_compile.compile(str(directory / "empty_module.py"))
    floor = (import_ns(directory, "empty_module", False, runs),
             import_ns(directory, "empty_module", True, runs))
    rows = []
    for number, (kind, (text, sidecar, how)) in enumerate(variants(data).items()):
        name = f"variant_{number}"
        path = directory / f"{name}.py"
        path.write_text(text)
        if sidecar is not None:
            path.with_suffix(".data").write_text(sidecar)
        pyc = Path(py_compile.compile(str(path)))
        rows.append({
            "kind": kind, "how": how, "file": path.stat().st_size + len(sidecar or ""),
            "pyc": pyc.stat().st_size,
            "import": import_ns(directory, name, False, runs) / floor[0],
            "source": import_ns(directory, name, True, max(3, runs // 3)) / floor[1],
            "first_use": statistics.median(first_use(kind, path) for _ in range(5)),
        })
    return [{"floor_ns": floor, "payload": len(data)}] + rows


def render(result: list) -> str:
    head, rows = result[0], result[1:]
    out = ["# Where the per-declaration data lives, and what it costs", "",
           "Generated by `python benchmarks/storage.py` (see its docstring). Payload: the data "
           f"sections of the openssl/ssl.h binding, {head['payload'] / 1024:.0f} KiB, behind the "
           "same two-function bootstrap. Import times are multiples of an empty module's "
           f"({head['floor_ns'][0] / 1000:.0f} µs with bytecode, {head['floor_ns'][1] / 1000:.0f} "
           "µs from source), fresh process each, median.", "",
           "| where | file (+ sidecar) | .pyc | import (.pyc) | import (source only) | "
           "first use: payload back | how |",
           "|---|--:|--:|--:|--:|--:|---|"]
    for r in rows:
        out.append(f"| {r['kind']} | {r['file'] / 1024:.0f} KiB | {r['pyc'] / 1024:.1f} KiB | "
                   f"{r['import']:.2f}x | {r['source']:.1f}x | {r['first_use'] * 1000:.2f} ms | "
                   f"{r['how']} |")
    out += ["", "Reading: a constant puts the payload into every import (the .pyc grows by its "
            "size and unmarshalling it is paid each time, used or not); comment lines cost "
            "nothing with bytecode and are tokenized only when the source is compiled; "
            "compressing them divides that by about three; only a sidecar file makes a "
            "source-only import as cheap as an empty module's, at the price of a second file to "
            "ship with every module.", ""]
    return "\n".join(out)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=21)
    args = parser.parse_args(argv)
    result = measure(args.runs)
    (WORK / "storage.json").write_text(json.dumps(result, indent=1))
    (HERE / "STORAGE.md").write_text(render(result))
    print((HERE / "STORAGE.md").read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
