"""Tables the trained-model system owns in nba_predictions: their DDL is in the schema module
(orchestration/warehouse/schema.py; `ml_system_predictions` from its dbt source declaration)."""

from __future__ import annotations

from orchestration.warehouse.schema import ML_PREDICTIONS, ML_REGISTRY, ML_SCHEMA
from orchestration.warehouse.session import Session

SCHEMA = ML_SCHEMA
PREDICTIONS_TABLE = ML_PREDICTIONS
REGISTRY_TABLE = ML_REGISTRY


def ensure_tables(db: Session) -> None:
    """Create the trained model's tables when missing, on either warehouse."""
    db.ensure_tables(PREDICTIONS_TABLE, REGISTRY_TABLE)
