"""How the CLI shows long work: the lines the pipeline says, and never a silent stretch.

Every command reports through one `say(message)` callable (the runner's `say`, the loader's and the
healer's `progress`, the CLI's `_say`). `Display` is what stands behind it:
- on a terminal, lines print above a spinner that names the work in progress and its elapsed time
  (rich), so a quiet stretch (dbt's import and parse, the trained-model step) still moves;
- elsewhere (a pipe, a log file, CI), plain lines, and after `HEARTBEAT_SECONDS` of silence one
  `... <what runs> (<elapsed>)` line, then another every `HEARTBEAT_SECONDS`;
- `--quiet` says nothing: only each command's result lines (printed, not said) remain.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from typing import TextIO

HEARTBEAT_SECONDS = 5.0
Say = Callable[[str], None]


def _activity(message: str) -> str:
    first = message.strip().splitlines()[0] if message.strip() else ""
    return first if len(first) <= 100 else first[:97] + "..."


def format_elapsed(seconds: float) -> str:
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes}m{rest:02d}s" if minutes else f"{seconds:.0f}s"


class Display:
    """The output of one command: `say` prints a line; silence is filled as the module docstring says."""

    def __init__(self, quiet: bool = False, stream: TextIO | None = None, heartbeat: float = HEARTBEAT_SECONDS):
        self.quiet = quiet
        self.stream = stream or sys.stdout
        self.heartbeat = heartbeat
        self.interactive = bool(getattr(self.stream, "isatty", lambda: False)())
        self.started = time.monotonic()
        self._last_line = self.started
        self._activity = ""
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._status = None
        self._console = None

    # -- the hook
    def say(self, message: str) -> None:
        if self.quiet:
            return
        with self._lock:
            if self._console is not None:
                self._console.print(message, markup=False, highlight=False, soft_wrap=True)
            else:
                print(message, file=self.stream, flush=True)
            self._last_line = time.monotonic()
            activity = _activity(message)
            if activity and not activity.startswith("..."):
                self._activity = activity

    # -- lifetime
    def __enter__(self) -> Display:
        if self.quiet:
            return self
        if self.interactive:
            from rich.console import Console

            self._console = Console(file=self.stream)
            self._status = self._console.status("starting", spinner="dots")
            self._status.start()
        self._thread = threading.Thread(target=self._watch, name="nba-pipeline-progress", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
        if self._status is not None:
            self._status.stop()
            self._status = None
        self._console = None

    def _watch(self) -> None:
        while not self._stop.wait(0.25):
            now = time.monotonic()
            with self._lock:
                silent = now - self._last_line
                activity = self._activity or "working"
                if self._status is not None:
                    self._status.update(f"{activity}  [{format_elapsed(now - self.started)}]")
                elif silent >= self.heartbeat:
                    print(
                        f"  ... {activity} (still running, {format_elapsed(now - self.started)} elapsed)",
                        file=self.stream,
                        flush=True,
                    )
                    self._last_line = now
