"""Slow: benchmarks/cycle_bench.py runs once at a tiny size, untimed, so the benchmark cannot rot.

It drives the real flows (open-reporting-period, receive-reports, send-reminders, review-plan) and
checks that every message arrived; no timing is asserted.
"""
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]


def test_the_cycle_benchmark_runs_a_whole_cycle_at_two_tiny_sizes_and_prints_their_ratio(tmp_path):
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "cycle_bench.py"), "--units", "4", "12",
                           "--keep", str(tmp_path)], capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "12 units:" in done.stdout and "(26 messages" in done.stdout  # 12 requests, the tenth unit reminded,
    # the sơ kết to its ten recipients and the three notices (submitted, approved, issued)
    assert "ratio 12 / 4 units:" in done.stdout
    assert len(list((tmp_path / "units-12" / "documents").glob("*.docx"))) >= 12
