"""Phase 2 loader: landing files (schedule, player box, team box, props, reference) -> nba_raw.

from orchestration.loading import load_landing
report = load_landing(Path("landing"), start=date(2024, 4, 20), end=date(2024, 4, 22))
print(report.summary())
"""

from __future__ import annotations

from orchestration.loading.dataset import DatasetMismatchError, recorded_landing
from orchestration.loading.errors import FileProblem, LandingFileError
from orchestration.loading.loader import load_landing
from orchestration.loading.report import LoadReport, TableReport
from orchestration.loading.rules import ALL_RULES
from orchestration.loading.target import load_landing_into_target

__all__ = [
    "ALL_RULES",
    "DatasetMismatchError",
    "FileProblem",
    "LandingFileError",
    "LoadReport",
    "TableReport",
    "load_landing",
    "load_landing_into_target",
    "recorded_landing",
]
