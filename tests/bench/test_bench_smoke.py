"""`python -m bench` runs end to end on a tiny load: exits 0 and writes valid JSON.

The benchmark is not a test and nothing here checks a figure; this only keeps it
runnable (real receiver, real `hookline serve` in a subprocess)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_quick_bench_of_ceiling_and_e2e_exits_0_and_writes_json(tmp_path: Path) -> None:
    output = tmp_path / "latest.json"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench",
            "--quick",
            "--only",
            "ceiling,e2e",
            "--messages",
            "300",
            "--output",
            str(output),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    document = json.loads(output.read_text())
    assert {"machine", "settings", "results", "scenarios"} <= set(document)
    assert document["machine"]["cpu_count"] >= 1
    figures = {(r["scenario"], r["figure"]): r for r in document["results"]}
    assert all(r["value"] is not None for r in figures.values()), figures
    assert document["scenarios"]["e2e"]["delivered"] == 300
    assert "scenario" in done.stdout and "e2e" in done.stdout
