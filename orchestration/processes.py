"""Which process holds something, and whether it still runs (run records, pool slots, the warehouse lock)."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from pathlib import Path


def process_start_ticks(pid: int) -> str | None:
    """Start time of a process (clock ticks since boot), to tell a reused pid apart."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    return fields[19] if len(fields) > 19 else None


def process_alive(pid: int, start_ticks: str | None = None) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        if state in {"Z", "X"}:  # killed, not yet reaped by its parent
            return False
    except OSError:
        pass
    if start_ticks and process_start_ticks(pid) not in (None, start_ticks):
        return False  # the pid now belongs to another process
    return True


@dataclass(frozen=True)
class ProcessIdentity:
    pid: int
    start_ticks: str | None
    host: str

    @classmethod
    def current(cls) -> ProcessIdentity:
        pid = os.getpid()
        return cls(pid, process_start_ticks(pid), socket.gethostname())

    def is_gone(self) -> bool:
        """True only when this host can tell: the process ran here and no longer does."""
        return self.host == socket.gethostname() and not process_alive(self.pid, self.start_ticks)
