"""The Windows section of the corpus (scripts/corpus.py --target): a sample of two mingw-w64
headers run for real, and the section replacing an earlier one below the Linux part."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from .conftest import X86

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "corpus.py"


def test_a_sample_is_generated_verified_and_spliced_below_the_linux_part(tmp_path):
    out = tmp_path / "CORPUS.md"
    out.write_text("# Corpus: every header under /usr/include\n\nthe Linux part\n")
    command = [sys.executable, str(SCRIPT), "--target", X86, "--sample", "2", "--jobs", "2",
               "--out", str(out)]
    for _ in range(2):  # a second run replaces the first one's section
        done = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path)
        assert done.returncode == 0, done.stderr[-3000:]
    text = out.read_text()
    assert text.startswith("# Corpus: every header under /usr/include\n\nthe Linux part\n")
    assert text.count("# Windows targets") == 1
    row = [line for line in text.splitlines() if line.startswith(f"| {X86} |")]
    assert len(row) == 1 and "| 2 | 2 | 2 (100.0%) |" in row[0], row
    assert "## Windows: failed, with the first error\n\nNone." in text
