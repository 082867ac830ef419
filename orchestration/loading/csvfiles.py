"""Landing CSV files: discovery, decoding and reading into per-column arrow string arrays.

A landing sub-folder holds `*.csv` / `*.csv.gz` files, read in sorted name order.
Reading keeps only the columns a format needs (by header name, so column order
may vary between files), the 1-based line number of every row (header = line 1)
and, for the quarantine, its raw text.

A record is one PHYSICAL line: no landing format has values spanning lines, so
a line that breaks the CSV shape (an unterminated quote, too few or too many
fields, the header repeated mid-file) is set aside on its own and every other
line still reads. Blank lines are counted and skipped. Every data line ends up
in exactly one of: rows, `malformed`, `blank_lines`.

Files without a quote character, a blank line or a repeated header go through
pyarrow's CSV reader (on such text it splits exactly like the line reader);
anything else through the `csv` module, line by line.
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

from orchestration.loading import rules
from orchestration.loading.errors import FileProblem

Progress = Callable[[str], None]

# Tried in order on the lines that are not UTF-8; latin-1 decodes any byte.
FALLBACK_ENCODINGS = ("cp1252", "latin-1")
_BOM = "\ufeff"


def list_files(folder: Path) -> list[Path]:
    """The CSV files of one landing sub-folder, sorted by name; none if the folder is absent."""
    if not folder.is_dir():
        return []
    return sorted(
        p for p in folder.iterdir() if p.is_file() and (p.name.endswith(".csv") or p.name.endswith(".csv.gz"))
    )


@dataclass(frozen=True)
class DecodedText:
    """A file's text and, when it was not all UTF-8, which lines were read in which fallback encoding."""

    text: str
    fallback_lines: dict[str, list[int]] = field(default_factory=dict)  # encoding -> 1-based lines

    def warning(self, path: Path) -> str | None:
        if not self.fallback_lines:
            return None
        parts = []
        for encoding, lines in self.fallback_lines.items():
            shown = ", ".join(str(n) for n in lines[:5]) + (" ..." if len(lines) > 5 else "")
            parts.append(f"{len(lines)} line(s) read as {encoding} (line {shown})")
        return f"{path}: not UTF-8; " + "; ".join(parts) + ", the other lines as UTF-8"


def decode(data: bytes) -> DecodedText:
    """UTF-8 (BOM dropped); a file that is not falls back line by line to cp1252, then latin-1.

    Per line rather than per file: a file of UTF-8 names with one line saved in another
    encoding keeps its UTF-8 names right ("Jokić") and gets the odd line right too ("Nenê").
    """
    try:
        return DecodedText(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        pass
    lines: list[str] = []
    fallback: dict[str, list[int]] = {}
    for number, raw in enumerate(data.split(b"\n"), start=1):
        try:
            lines.append(raw.decode("utf-8"))
            continue
        except UnicodeDecodeError:
            pass
        for encoding in FALLBACK_ENCODINGS:
            try:
                lines.append(raw.decode(encoding))
            except UnicodeDecodeError:
                continue
            fallback.setdefault(encoding, []).append(number)
            break
    text = "\n".join(lines)
    return DecodedText(text[1:] if text.startswith(_BOM) else text, fallback)


def read_text(path: Path) -> DecodedText:
    """The file as text (gunzipped when `.gz`), BOM dropped, `\\r\\n` -> `\\n`; raises OSError/zlib errors."""
    data = path.read_bytes()
    if path.name.endswith(".gz"):
        data = gzip.decompress(data)
    decoded = decode(data)
    if "\r\n" in decoded.text:
        return DecodedText(decoded.text.replace("\r\n", "\n"), decoded.fallback_lines)
    return decoded


@dataclass(frozen=True)
class MalformedLine:
    """A data line that is not a record of the file's shape."""

    file_index: int
    line: int  # 1-based, header = line 1
    raw: str
    rule: str  # rules.UNTERMINATED_QUOTE | REPEATED_HEADER | WRONG_COLUMN_COUNT
    fields: list[str] | None  # as far as they could be split (for the game date)


@dataclass
class FolderRows:
    """The rows of every file of one folder, in file then line order.

    Big files arrive as arrow columns; small ones are gathered as Python lists and
    turned into one arrow chunk when needed (per-file arrow calls cost more than
    they save on a file of a dozen rows).
    """

    needed: tuple[str, ...]
    files: list[Path] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)  # file text, for raw lines
    headers: list[list[str]] = field(default_factory=list)
    malformed: list[MalformedLine] = field(default_factory=list)
    lines_read: int = 0  # data lines (after the header) of every file, blank ones included
    blank_lines: int = 0
    warnings: list[str] = field(default_factory=list)  # e.g. a file that is not UTF-8
    _chunks: dict[str, list[pa.Array]] = field(default_factory=dict)
    _file_chunks: list[np.ndarray] = field(default_factory=list)  # file index per row
    _line_chunks: list[np.ndarray] = field(default_factory=list)  # 1-based line per row
    _pending: dict[str, list[str]] = field(default_factory=dict)
    _pending_files: list[int] = field(default_factory=list)
    _pending_lines: list[int] = field(default_factory=list)
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
        """The raw text of `line` of file `file_i`."""
        if file_i not in self._lines:
            self._lines[file_i] = self.texts[file_i].split("\n")
        return self._lines[file_i][line - 1]


def _fast_columns(text: str, header: list[str], wanted: list[str], body_lines: int) -> dict[str, pa.Array] | None:
    """pyarrow's reader for text where it splits exactly like the line reader; None to fall back."""
    try:
        table = pacsv.read_csv(
            io.BytesIO(text.encode("utf-8")),
            read_options=pacsv.ReadOptions(column_names=header, skip_rows=1, use_threads=False),
            parse_options=pacsv.ParseOptions(newlines_in_values=False, ignore_empty_lines=False),
            convert_options=pacsv.ConvertOptions(
                column_types={c: pa.string() for c in wanted},
                include_columns=wanted,
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowKeyError, ValueError):
        return None  # ragged lines: the line reader sets them aside one by one
    if table.num_rows != body_lines:
        return None
    return {name: table.column(name).combine_chunks() for name in wanted}


def split_lines(body: list[str]) -> list[list[str] | None]:
    """Each physical line's fields: [] for a blank line, None when a quote opened on it never closes.

    The `csv` module joins the following lines into a record whose quote is open; a
    record spanning lines therefore marks its first line as broken, and reading
    resumes on the next line. A sentinel blank line catches an open quote on the last line.
    """
    try:
        records = list(csv.reader([*body, ""]))
        if len(records) == len(body) + 1:  # every record is one line: the usual case
            return records[:-1]
    except csv.Error:  # e.g. an open quote swallowing past the field size limit
        pass
    out: list[list[str] | None] = []
    while len(out) < len(body):
        start = len(out)
        reader = csv.reader([*body[start:], ""])
        consumed = 0
        try:
            for record in reader:
                if consumed == len(body) - start:  # the sentinel
                    break
                if reader.line_num - consumed > 1:  # its quote swallowed the next line(s)
                    out.append(None)
                    break
                out.append(record)
                consumed = reader.line_num
        except csv.Error:
            out.append(None)  # the record starting on line start + consumed
    return out


def _is_header(fields: list[str], header: list[str]) -> bool:
    return [f.strip().lstrip(_BOM) for f in fields] == header


def _classify(rows: FolderRows, index: int, body: list[str], header: list[str]) -> tuple[list[list[str]], list[int]]:
    """Split `body` into records of the header's width (with their line numbers), malformed and blank lines."""
    width = len(header)
    good: list[list[str]] = []
    lines: list[int] = []
    for i, (line, fields) in enumerate(zip(body, split_lines(body))):
        number = i + 2
        if not line.strip():
            rows.blank_lines += 1
        elif fields is None:
            partial = next(csv.reader([line]), None)
            rows.malformed.append(MalformedLine(index, number, line, rules.UNTERMINATED_QUOTE, partial))
        elif _is_header(fields, header):
            rows.malformed.append(MalformedLine(index, number, line, rules.REPEATED_HEADER, fields))
        elif len(fields) != width:
            rows.malformed.append(MalformedLine(index, number, line, rules.WRONG_COLUMN_COUNT, fields))
        else:
            good.append(fields)
            lines.append(number)
    return good, lines


# pyarrow's reader costs ~0.3 ms a call: worth it only for big files.
ARROW_MIN_LINES = 2000


def read_folder(
    files: Sequence[Path],
    required: Sequence[str],
    optional: Sequence[str],
    problems: list[FileProblem],
    progress: Progress | None = None,
) -> FolderRows:
    """Read `files`; a file missing `required` columns (or unreadable) becomes a problem, not rows."""
    rows = FolderRows(needed=(*required, *optional))
    for path in files:
        try:
            decoded = read_text(path)
        except (OSError, EOFError, zlib.error, gzip.BadGzipFile) as exc:
            problems.append(FileProblem(path, f"cannot read: {exc}"))
            continue
        text = decoded.text
        warning = decoded.warning(path)
        if warning:
            rows.warnings.append(warning)
            if progress:
                progress(f"warning: {warning}")
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
        body_lines = text.count("\n") - (1 if text.endswith("\n") else 0)
        rows.lines_read += body_lines
        fast = None
        if (
            not doubled
            and body_lines >= ARROW_MIN_LINES
            and '"' not in text
            and "\n\n" not in text
            and f"\n{first_line}\n" not in f"{text}\n"
        ):
            fast = _fast_columns(text, header, wanted, body_lines)
        if fast is not None:
            rows.add_arrow(index, fast, body_lines)
        else:
            body = text.split("\n")[1:]
            if body and body[-1] == "":
                body.pop()
            good, lines = _classify(rows, index, body, header)
            rows.add_records(index, header, good, lines)
        if progress:
            progress(f"read {path.parent.name}/{path.name}: {body_lines:,} lines")
    return rows.done()
