"""Test-only: Dagster's daemon passes over backfills every BACKFILL_PASS_SECONDS instead of every 30 s.

The tests that launch a backfill through the UI's GraphQL wait for two daemon passes (one submits the run,
one sees it finished and marks the backfill complete), and Dagster paces them by a module constant,
`dagster._daemon.controller.DEFAULT_DAEMON_INTERVAL_SECONDS`, that no instance setting overrides (dagster.yaml
`backfills:` takes threads only). The tests put this folder on PYTHONPATH (`paced_daemon_env` in
tests/support.py), so that Python runs this file at start-up in every process they start: only the daemon's
(`dagster-daemon run`, or `python -m dagster._daemon run` under `dagster dev`) changes; the daemon itself and
every pass it makes are Dagster's own. A Dagster without that constant fails here, loudly, instead of
silently waiting 30 s again.
"""

from __future__ import annotations

import sys

BACKFILL_PASS_SECONDS = 3


def _is_daemon(argv: list[str]) -> bool:
    launched = " ".join(argv[:4])
    return "dagster-daemon" in launched or "dagster._daemon" in launched


if _is_daemon(sys.orig_argv):
    import dagster._daemon.controller as controller

    if not isinstance(getattr(controller, "DEFAULT_DAEMON_INTERVAL_SECONDS", None), int):
        raise RuntimeError(
            "tests/daemon_pace: dagster._daemon.controller.DEFAULT_DAEMON_INTERVAL_SECONDS is gone; "
            "find where this Dagster paces its backfill daemon"
        )
    controller.DEFAULT_DAEMON_INTERVAL_SECONDS = BACKFILL_PASS_SECONDS
