"""The one exception the loader raises for a landing file it cannot read at all."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class FileProblem:
    """One unreadable landing file: its path and what is wrong with it."""

    path: Path
    reason: str
    missing_columns: tuple[str, ...] = ()

    def describe(self) -> str:
        if self.missing_columns:
            return f"{self.path}: missing required columns {', '.join(self.missing_columns)}"
        return f"{self.path}: {self.reason}"


class LandingFileError(ValueError):
    """A landing file (or folder) cannot be loaded: missing columns, not gzip/UTF-8, no header.

    Raised before anything is written, so the warehouse is unchanged. `problems`
    lists every bad file found; the message names each file and its missing columns.
    """

    def __init__(self, problems: list[FileProblem]) -> None:
        self.problems = list(problems)
        lines = [p.describe() for p in self.problems]
        super().__init__("landing files cannot be loaded:\n  " + "\n  ".join(lines))


class LoadAccountingError(RuntimeError):
    """The loader lost track of a data line: read != loaded + quarantined + deduplicated + skipped.

    A bug in the loader, never a property of the input; raised before anything is written.
    """
