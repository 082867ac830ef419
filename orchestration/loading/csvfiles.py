"""Landing CSV files: discovery and reading into per-column arrow string arrays.

A landing sub-folder holds `*.csv` / `*.csv.gz` files, read in sorted name order.
Reading keeps only the columns a format needs (by header name, so column order
may vary between files), the 1-based line number of every row (header = line 1)
and, for the quarantine, a way back to its raw text. Rows with the wrong number
of fields are set aside here; blank lines are skipped.

Well-formed files (one record per line, no blank lines) go through pyarrow's
CSV reader; anything else falls back to the `csv` module, line by line.
"""

from __future__ import annotations

import csv
import gzip
import io
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from orchestration.loading.errors import FileProblem

Progress = Callable[[str], None]


def list_files(folder: Path) -> list[Path]:
    """The CSV files of one landing sub-folder, sorted by name; none if the folder is absent."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir()
                  if p.is_file() and (p.name.endswith(".csv") or p.name.endswith(".csv.gz")))


def read_text(path: Path) -> str:
    """The file as text (gunzipped when `.gz`), BOM dropped, `\\r\\n` -> `\\n`; raises OSError/ValueError."""
    data = path.read_bytes()
    if path.name.endswith(".gz"):
        data = gzip.decompress(data)
    text = data.decode("utf-8-sig")
    return text.replace("\r\n", "\n") if "\r" in text else text


@dataclass
class FolderRows:
    """The rows of every file of one folder, in file then line order.

    Big files arrive as arrow columns; small ones are gathered as Python lists and
    turned into one arrow chunk when needed (per-file arrow calls cost more than
    they save on a file of a dozen rows).
    """

    needed: tuple[str, ...]
    files: list[Path] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)                   # file text, for raw lines
    headers: list[list[str]] = field(default_factory=list)
    # Records whose field count differs from the header: (file index, line, raw text, fields or None).
    malformed: list[tuple[int, int, str, list[str] | None]] = field(default_factory=list)
    _chunks: dict[str, list[pa.Array]] = field(default_factory=dict)
    _file_chunks: list[np.ndarray] = field(default_factory=list)     # file index per row
    _line_chunks: list[np.ndarray] = field(default_factory=list)     # 1-based line per row
    _pending: dict[str, list[str]] = field(default_factory=dict)
    _pending_files: list[int] = field(default_factory=list)
    _pending_lines: list[int] = field(default_factory=list)
    _multiline_raw: dict[tuple[int, int], str] = field(default_factory=dict)
    _lines: dict[int, list[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._chunks = {name: [] for name in self.needed}
        self._pending = {name: [] for name in self.needed}

    def _flush(self) -> None:
        if not self._pending_lines:
            return
        for name in self.needed:
            self._chunks[name].append(pa.array(self._pending[name], pa.string()))
            self._pending[name] = []
        self._file_chunks.append(np.asarray(self._pending_files, dtype=np.int32))
        self._line_chunks.append(np.asarray(self._pending_lines, dtype=np.int32))
        self._pending_files, self._pending_lines = [], []

    def _new_file(self, path: Path, text: str, header: list[str]) -> int:
        self.files.append(path)
        self.texts.append(text)
        self.headers.append(header)
        return len(self.files) - 1

    def add_arrow(self, index: int, columns: dict[str, pa.Array], n: int) -> None:
        """A big file's rows: one record per line from line 2 on."""
        self._flush()
        for name in self.needed:
            self._chunks[name].append(columns[name] if name in columns else pa.array([""] * n, pa.string()))
        self._file_chunks.append(np.full(n, index, dtype=np.int32))
        self._line_chunks.append(np.arange(2, n + 2, dtype=np.int32))

    def add_records(self, index: int, header: list[str], records: list[list[str]], lines: list[int]) -> None:
        """A small file's well-formed records (all of the header's width) and their line numbers."""
        n = len(records)
        transposed = list(zip(*records)) if records else [()] * len(header)
        for name in self.needed:
            values = self._pending[name]
            if name in header:
                values.extend(transposed[header.index(name)])
            else:
                values.extend([""] * n)
        self._pending_files.extend([index] * n)
        self._pending_lines.extend(lines)

    def done(self) -> FolderRows:
        self._flush()
        return self

    @property
    def n(self) -> int:
        return int(sum(len(c) for c in self._line_chunks))

    @property
    def rows_read(self) -> int:
        return self.n + len(self.malformed)

    def column(self, name: str) -> pa.Array:
        chunks = self._chunks[name]
        return pa.concat_arrays(chunks) if chunks else pa.array([], pa.string())

    @property
    def file_index(self) -> np.ndarray:
        return np.concatenate(self._file_chunks) if self._file_chunks else np.empty(0, np.int32)

    @property
    def line_number(self) -> np.ndarray:
        return np.concatenate(self._line_chunks) if self._line_chunks else np.empty(0, np.int32)

    def raw(self, file_i: int, line: int) -> str:
        """The raw text of the record starting at `line` of file `file_i`."""
        key = (file_i, line)
        if key in self._multiline_raw:
            return self._multiline_raw[key]
        if file_i not in self._lines:
            self._lines[file_i] = self.texts[file_i].split("\n")
        return self._lines[file_i][line - 1]


def _fast_columns(text: str, header: list[str], wanted: list[str]) -> dict[str, pa.Array] | None:
    """pyarrow's reader when every body line is exactly one record; None to fall back."""
    if "\n\n" in text:       # blank lines: line numbers need the slow path
        return None
    body_lines = text.count("\n") - (1 if text.endswith("\n") else 0)
    if body_lines <= 0:
        return {name: pa.array([], pa.string()) for name in wanted}
    try:
        table = pacsv.read_csv(
            io.BytesIO(text.encode("utf-8")),
            read_options=pacsv.ReadOptions(column_names=header, skip_rows=1, use_threads=False),
            parse_options=pacsv.ParseOptions(newlines_in_values=False, ignore_empty_lines=False),
            convert_options=pacsv.ConvertOptions(column_types={c: pa.string() for c in wanted},
                                                 include_columns=wanted, strings_can_be_null=False,
                                                 quoted_strings_can_be_null=False),
        )
    except (pa.ArrowInvalid, pa.ArrowKeyError, ValueError):
        return None
    if table.num_rows != body_lines:
        return None
    return {name: table.column(name).combine_chunks() for name in wanted}


def _slow_records(body: list[str]) -> list[tuple[int, int, list[str] | None]]:
    """(first body line, last body line, fields or None when unparseable), 1-based in `body`."""
    out: list[tuple[int, int, list[str] | None]] = []
    start = 0
    while start < len(body):
        reader = csv.reader(body[start:])
        prev = 0
        try:
            for rec in reader:
                ln = reader.line_num
                if rec:
                    out.append((start + prev + 1, start + ln, rec))
                prev = ln
            break
        except csv.Error:
            # Unclosed quote, NUL byte ...: that record is malformed; resume on the next line.
            bad_end = max(reader.line_num, prev + 1)
            out.append((start + prev + 1, start + bad_end, None))
            start += bad_end
    return out


# pyarrow's reader costs ~0.3 ms a call: worth it only for big files.
ARROW_MIN_LINES = 2000


def read_folder(files: Sequence[Path], required: Sequence[str], optional: Sequence[str],
                problems: list[FileProblem], progress: Progress | None = None) -> FolderRows:
    """Read `files`; a file missing `required` columns (or unreadable) becomes a problem, not rows."""
    rows = FolderRows(needed=(*required, *optional))
    for path in files:
        try:
            text = read_text(path)
        except (OSError, EOFError, zlib.error, UnicodeDecodeError, gzip.BadGzipFile) as exc:
            problems.append(FileProblem(path, f"cannot read: {exc}"))
            continue
        first_line = text.split("\n", 1)[0]
        if not first_line.strip():
            problems.append(FileProblem(path, "empty file, no header row"))
            continue
        header = [h.strip() for h in next(csv.reader([first_line]))]
        missing = tuple(c for c in required if c not in header)
        if missing:
            problems.append(FileProblem(path, "missing required columns", missing))
            continue
        doubled = sorted({h for h in header if header.count(h) > 1}) if len(set(header)) < len(header) else []
        if set(doubled) & set(rows.needed):
            problems.append(FileProblem(path, f"duplicate columns {', '.join(doubled)}"))
            continue
        wanted = [c for c in rows.needed if c in header]

        index = rows._new_file(path, text, header)
        fast = None
        if not doubled and text.count("\n") >= ARROW_MIN_LINES:
            fast = _fast_columns(text, header, wanted)
        if fast is not None:
            read = len(fast[wanted[0]]) if wanted else 0
            rows.add_arrow(index, fast, read)
        else:
            read = _read_with_csv(rows, index, text, header)
        if progress:
            progress(f"read {path.parent.name}/{path.name}: {read:,} rows")
    return rows.done()


def _read_with_csv(rows: FolderRows, index: int, text: str, header: list[str]) -> int:
    """The `csv` module path: blank lines, wrong field counts and multi-line records handled."""
    body = text.split("\n")[1:]
    if body and body[-1] == "":
        body.pop()
    width = len(header)
    try:
        records: list[list[str]] | None = list(csv.reader(body))
    except csv.Error:
        records = None
    good: list[list[str]] = []
    lines: list[int] = []
    bad: list[tuple[int, str, list[str] | None]] = []
    if records is not None and len(records) == len(body):
        # One record per line (blank lines give []): line numbers follow directly.
        if all(len(r) == width for r in records):
            good, lines = records, list(range(2, len(records) + 2))
        else:
            for i, rec in enumerate(records):
                if len(rec) == width:
                    good.append(rec)
                    lines.append(i + 2)
                elif rec:
                    bad.append((i + 2, body[i], rec))
    else:
        for first, last, rec in _slow_records(body):
            raw = body[first - 1] if first == last else "\n".join(body[first - 1:last])
            if first != last:
                rows._multiline_raw[(index, first + 1)] = raw
            if rec is None or len(rec) != width:
                bad.append((first + 1, raw, rec))
            else:
                good.append(rec)
                lines.append(first + 1)
    rows.add_records(index, header, good, lines)
    rows.malformed.extend((index, line, raw, rec) for line, raw, rec in bad)
    return len(good) + len(bad)
