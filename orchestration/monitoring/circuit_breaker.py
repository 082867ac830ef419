"""Circuit breakers per processor (a phase) and per prediction system, persisted in
`nba_orchestration.circuit_breaker_state`.

    CLOSED --(N consecutive failures)--> OPEN --(cooldown elapsed, next check)--> HALF_OPEN
    HALF_OPEN --success--> CLOSED        HALF_OPEN --failure--> OPEN (cooldown restarts)

N is 5 (10 in backfill mode), the cooldown 300 s (600 s in backfill mode).
While OPEN, `check()` says skip with reason `circuit_open`. State lives in the
warehouse, so every process (CLI, Dagster run workers) sees the same breaker.
Opening a circuit raises a critical alert, sent at once even inside a backfill.

A state is saved with one statement, an UPDATE of the breaker's row or the INSERT of its first row
(no MERGE, no `insert or replace`): atomic on every warehouse without a transaction, so a kill leaves
the previous state or the new one. Should two first writes race on BigQuery (no primary keys), the
newest row of a key is its state.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from orchestration.warehouse import Session, as_session
from orchestration.warehouse.schema import ORCHESTRATION_SCHEMA, ORCHESTRATION_TABLES

CLOSED, OPEN, HALF_OPEN = "CLOSED", "OPEN", "HALF_OPEN"
SKIP_REASON = "circuit_open"
PROCESSOR, PREDICTION_SYSTEM = "processor", "prediction_system"

CIRCUIT_BREAKER_DDL = ORCHESTRATION_TABLES["circuit_breaker_state"]
BREAKERS = f"{ORCHESTRATION_SCHEMA}.circuit_breaker_state"
_STATE_COLUMNS = (
    "breaker_key",
    "kind",
    "state",
    "consecutive_failures",
    "opened_at",
    "half_opened_at",
    "last_failure_at",
    "last_success_at",
    "last_error",
    "updated_at",
)
# the newest row per key (one row per key, unless two first writes raced on a warehouse without keys)
_LATEST = (
    f"select {', '.join(_STATE_COLUMNS)} from {BREAKERS} "
    "qualify row_number() over (partition by breaker_key order by updated_at desc) = 1"
)


def ensure_breaker_table(con: Session) -> None:
    as_session(con).ensure_tables(BREAKERS)


@dataclass(frozen=True)
class BreakerPolicy:
    failure_threshold: int
    cooldown_seconds: float


NORMAL_POLICY = BreakerPolicy(failure_threshold=5, cooldown_seconds=300)
BACKFILL_POLICY = BreakerPolicy(failure_threshold=10, cooldown_seconds=600)


def policy_for(backfill_mode: bool) -> BreakerPolicy:
    return BACKFILL_POLICY if backfill_mode else NORMAL_POLICY


def processor_key(phase_number: int, name: str | None = None) -> str:
    return f"processor:phase_{phase_number}" + (f"_{name}" if name else "")


def prediction_system_key(system_id: str) -> str:
    return f"prediction_system:{system_id}"


@dataclass
class BreakerState:
    breaker_key: str
    kind: str
    state: str
    consecutive_failures: int
    opened_at: datetime | None
    half_opened_at: datetime | None
    last_failure_at: datetime | None
    last_success_at: datetime | None
    last_error: str | None
    updated_at: datetime


@dataclass(frozen=True)
class BreakerDecision:
    allowed: bool
    state: str
    skip_reason: str | None = None
    retry_at: datetime | None = None
    message: str = ""


class CircuitBreaker:
    """One breaker; every call reads and writes the persisted state (no in-process cache)."""

    def __init__(
        self,
        con: Session,
        key: str,
        kind: str | None = None,
        backfill_mode: bool = False,
        clock: Callable[[], datetime] = datetime.now,
        alerter=None,
    ):
        self.con = as_session(con)
        self.key = key
        self.kind = kind or (PREDICTION_SYSTEM if key.startswith("prediction_system:") else PROCESSOR)
        self.policy = policy_for(backfill_mode)
        self.backfill_mode = backfill_mode
        self.clock = clock
        self.alerter = alerter
        ensure_breaker_table(self.con)

    # ---- state
    def load(self) -> BreakerState:
        row = self.con.execute(f"select * from ({_LATEST}) where breaker_key = ?", [self.key]).fetchone()
        if row is None:
            return BreakerState(self.key, self.kind, CLOSED, 0, None, None, None, None, None, self.clock())
        return BreakerState(*row)

    def _save(self, state: BreakerState) -> None:
        """One statement: update the breaker's row, or insert its first."""
        state.updated_at = self.clock()
        values = [getattr(state, column) for column in _STATE_COLUMNS]
        if self.con.scalar(f"select count(*) from {BREAKERS} where breaker_key = ?", [self.key]):
            assignments = ", ".join(f"{column} = ?" for column in _STATE_COLUMNS[1:])
            self.con.execute(f"update {BREAKERS} set {assignments} where breaker_key = ?", [*values[1:], self.key])
        else:
            self.con.execute(
                f"insert into {BREAKERS} ({', '.join(_STATE_COLUMNS)}) values ({', '.join('?' * len(values))})",
                values,
            )

    @property
    def state(self) -> str:
        return self.load().state

    # ---- transitions
    def check(self) -> BreakerDecision:
        """May the processor run now? OPEN past its cooldown turns HALF_OPEN and lets one trial through."""
        state = self.load()
        if state.state == OPEN:
            retry_at = (state.opened_at or self.clock()) + timedelta(seconds=self.policy.cooldown_seconds)
            if self.clock() < retry_at:
                return BreakerDecision(
                    False,
                    OPEN,
                    SKIP_REASON,
                    retry_at,
                    f"circuit {self.key} is OPEN after {state.consecutive_failures} consecutive failures "
                    f"(last: {state.last_error}); retry after {retry_at:%Y-%m-%d %H:%M:%S}",
                )
            state.state = HALF_OPEN
            state.half_opened_at = self.clock()
            self._save(state)
            return BreakerDecision(True, HALF_OPEN, message=f"circuit {self.key} is HALF_OPEN: one trial run")
        return BreakerDecision(True, state.state)

    def record_success(self) -> BreakerState:
        state = self.load()
        was_open = state.state != CLOSED
        state.state = CLOSED
        state.consecutive_failures = 0
        state.opened_at = None
        state.half_opened_at = None
        state.last_success_at = self.clock()
        self._save(state)
        if was_open and self.alerter is not None:
            self.alerter.alert(
                "circuit_closed",
                f"circuit {self.key} closed again after a successful trial run",
                severity="info",
                context={"breaker": self.key},
            )
        return state

    def record_failure(self, error: str = "") -> BreakerState:
        state = self.load()
        now = self.clock()
        state.consecutive_failures += 1
        state.last_failure_at = now
        state.last_error = (error or "")[:2000] or None
        opens = state.state == HALF_OPEN or (
            state.state == CLOSED and state.consecutive_failures >= self.policy.failure_threshold
        )
        if opens:
            reopened = state.state == HALF_OPEN
            state.state = OPEN
            state.opened_at = now
            state.half_opened_at = None
        self._save(state)
        if opens and self.alerter is not None:
            what = (
                "re-opened: its trial run failed"
                if reopened
                else (f"opened after {state.consecutive_failures} consecutive failures")
            )
            self.alerter.alert(
                "circuit_open",
                f"circuit {self.key} {what}; runs are skipped (circuit_open) for "
                f"{self.policy.cooldown_seconds:.0f} s. Last error: {state.last_error}",
                severity="critical",
                context={
                    "breaker": self.key,
                    "failures": state.consecutive_failures,
                    "backfill_mode": self.backfill_mode,
                },
            )
        return state

    def reset(self) -> None:
        self.con.execute(f"delete from {BREAKERS} where breaker_key = ?", [self.key])


T = TypeVar("T")


@dataclass
class GuardedResult:
    skipped: bool
    skip_reason: str | None
    value: object = None
    error: BaseException | None = None
    decision: BreakerDecision | None = None

    @property
    def succeeded(self) -> bool:
        return not self.skipped and self.error is None


def guarded_call(
    breaker: CircuitBreaker,
    work: Callable[[], T],
    succeeded: Callable[[T], bool] = lambda value: True,
    describe_failure: Callable[[T], str] = lambda value: "failed",
) -> GuardedResult:
    """Run `work` unless the circuit is open; feed its outcome (an exception or `succeeded(value)`) back."""
    decision = breaker.check()
    if not decision.allowed:
        return GuardedResult(True, decision.skip_reason, decision=decision)
    try:
        value = work()
    except Exception as error:  # recorded, then handed back to the caller
        breaker.record_failure(f"{type(error).__name__}: {error}")
        return GuardedResult(False, None, error=error, decision=decision)
    if succeeded(value):
        breaker.record_success()
        return GuardedResult(False, None, value=value, decision=decision)
    breaker.record_failure(describe_failure(value))
    return GuardedResult(False, None, value=value, error=RuntimeError(describe_failure(value)), decision=decision)


def breaker_states(con: Session) -> list[BreakerState]:
    con = as_session(con)
    ensure_breaker_table(con)
    rows = con.execute(f"select * from ({_LATEST}) order by breaker_key").fetchall()
    return [BreakerState(*row) for row in rows]


def record_step_results(
    con: Session,
    step_results,
    backfill_mode: bool = False,
    clock: Callable[[], datetime] = datetime.now,
    alerter=None,
) -> list[BreakerState]:
    """Feed prediction-system step outcomes (backfill.StepResult, name `<step>:<system_id>`) to their breakers."""
    states = []
    for outcome in step_results:
        if outcome.status == "skipped":
            continue
        system_id = outcome.name.split(":", 1)[-1]
        breaker = CircuitBreaker(
            con, prediction_system_key(system_id), PREDICTION_SYSTEM, backfill_mode, clock, alerter
        )
        states.append(
            breaker.record_success() if outcome.status == "success" else breaker.record_failure(outcome.message)
        )
    return states
