"""A fitted HistGradientBoostingRegressor's trees as plain numpy arrays, predicting without scikit-learn.

Why: a daily run predicts one date from a model trained earlier. Loading the joblib artifact imports
scikit-learn (with scipy: about 2.5 s of CPU here, measured with `python -X importtime` and
/usr/bin/time), more than the prediction itself; it was the largest single cost of one date through
every phase beyond Phase 3 alone (issue 13). The trees evaluated with numpy give the same float64
values: every tree adds its leaf value to the baseline in scikit-learn's order
(`_raw_predict`: baseline, then each iteration's tree; the loss's link is the identity for
`absolute_error`).

The trees are read from the fitted model's private `_predictors` / `_baseline_prediction` (a
`TreePredictor.nodes` record array per tree): scikit-learn has no public export of them. So a predictor
is kept only when it reproduces `model.predict` bit for bit on the rows at hand
(`matching_predictor`); otherwise (another model type, another loss, a scikit-learn that changed
these internals) there is none and the joblib model serves, as before.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class TreeEnsemble:
    baseline: float
    trees: tuple[np.ndarray, ...]  # per boosting iteration, the tree's nodes (TreePredictor.nodes)

    def predict(self, features: np.ndarray) -> np.ndarray:
        """The model's prediction for each row of `features` (float64, NaN allowed: the missing side)."""
        rows = np.arange(len(features))
        predicted = np.zeros(len(features)) + self.baseline
        for nodes in self.trees:
            is_leaf = nodes["is_leaf"].astype(bool)
            node = np.zeros(len(features), dtype=np.intp)
            active = ~is_leaf[node]
            while active.any():
                at = node[active]
                value = features[rows[active], nodes["feature_idx"][at]]
                left = np.where(
                    np.isnan(value), nodes["missing_go_to_left"][at].astype(bool), value <= nodes["num_threshold"][at]
                )
                node[active] = np.where(left, nodes["left"][at], nodes["right"][at])
                active = ~is_leaf[node]
            predicted += nodes["value"][node]
        return predicted

    def to_artifact(self) -> dict:
        return {"baseline": self.baseline, "trees": list(self.trees)}

    @classmethod
    def from_artifact(cls, artifact: dict) -> TreeEnsemble:
        return cls(float(artifact["baseline"]), tuple(artifact["trees"]))


def matching_predictor(model, features: np.ndarray, expected: np.ndarray) -> TreeEnsemble | None:
    """The model's trees when they predict exactly `expected` (model.predict(features)), else None."""
    try:
        baseline = np.asarray(model._baseline_prediction, dtype="float64")
        per_iteration = model._predictors
        if baseline.size != 1 or any(len(trees) != 1 for trees in per_iteration):
            return None  # several trees per iteration (a classifier): not this predictor's shape
        nodes = tuple(trees[0].nodes for trees in per_iteration)
        if any(tree["is_categorical"].any() for tree in nodes):
            return None  # categorical splits read bitsets this predictor does not evaluate
        predictor = TreeEnsemble(float(baseline.item()), nodes)
    except (AttributeError, TypeError, ValueError, IndexError, KeyError):
        return None
    return predictor if np.array_equal(predictor.predict(features), expected) else None
