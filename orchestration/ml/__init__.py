"""The trained prediction system (Python, outside dbt) and the accuracy report.

- `run_trained_model_step(db, start, end) -> StepResult`: phase 5's python step, on either warehouse
  (orchestration/phases.py), run after Phase 4's dbt build and before Phase 5's.
- `accuracy_report(con, season) -> list[dict]`: per-system MAE and hit rate from
  nba_predictions.prediction_accuracy (`nba-pipeline report accuracy`).
"""

from orchestration.ml.report import accuracy_report, format_accuracy_report
from orchestration.ml.trained_model import SYSTEM_ID, run_trained_model_step

__all__ = ["SYSTEM_ID", "accuracy_report", "format_accuracy_report", "run_trained_model_step"]
