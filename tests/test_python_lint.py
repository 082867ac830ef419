"""ruff over the Python code ([tool.ruff] in pyproject.toml): lint findings and unformatted files fail CI."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def _ruff(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ruff", *args], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300
    )


def test_python_passes_ruff_lint():
    result = _ruff("check", "--no-cache", ".")
    assert result.returncode == 0, "ruff check (fix with `ruff check --fix .`):\n" + result.stdout[-5000:]


def test_python_is_formatted():
    result = _ruff("format", "--check", "--no-cache", ".")
    assert result.returncode == 0, "ruff format --check (fix with `ruff format .`):\n" + result.stdout[-5000:]
