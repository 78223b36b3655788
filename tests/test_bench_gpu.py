"""benchmarks/bench_gpu.py runs on the CPU with the tiny model, every variant, so it cannot rot before a GPU
machine is at hand to take its figures (torch.compile with the eager backend: the compile path without codegen)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow  # about a minute on two cores
def test_bench_gpu_prints_its_table_on_the_cpu() -> None:
    done = subprocess.run(
        [
            sys.executable, str(ROOT / "benchmarks" / "bench_gpu.py"),
            "--size", "tiny", "--device", "cpu", "--batches", "1,2", "--music-steps", "2", "--seconds", "1",
            "--step-count", "3", "--compile-backend", "eager",
        ],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    header = next(line for line in lines if line.split() == ["plain", "channels_last", "compile", "both"])
    table = lines[lines.index(header) + 1 :]
    rows = {line[:30].strip(): line[30:].split() for line in table if line[:1] != "w"}
    for row in ("s per step, 1 window", "s per step, 2 windows", "s for 1 s of music, 2 steps"):
        assert len(rows[row]) == 4 and all(float(value) > 0 for value in rows[row]), row
    for row in ("outside the UNet (2 steps)", "text encoder", "VAE decode", "codec", "other", "peak memory"):
        assert row in rows, row
    assert "UNet 1.0 M parameters" in done.stdout and "whole run:" in done.stdout
