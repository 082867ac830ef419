"""The corpus of faulty landing files, and datasets that must not mix: what `nba-pipeline load` says and does.

Every case is built here, in a tmp folder, from copies of real files (../shared/data/real) or of the seeded
generator's files, broken on purpose: an unterminated quote, latin-1 and cp1252 bytes, a BOM, CRLF line
ends, a header-only file, a repeated header, extra and missing fields, blank lines, a partial range, a
real landing over a generated warehouse. Each test checks what the user sees (exit code, message) and that
no good line was lost: the data lines of the raw file = rows loaded from it + its lines in
nba_raw.load_quarantine + lines skipped.
"""

from __future__ import annotations

import gzip
import shutil
import subprocess
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pytest
from support import copy_warehouse, query

from orchestration.cli import main
from orchestration.dataset_manifest import MANIFEST_FILE, generated_manifest, write_manifest
from orchestration.loading import LandingFileError, csvfiles, load_landing, recorded_landing
from orchestration.loading.dedup import Duplicates
from orchestration.loading.errors import LoadAccountingError
from orchestration.paths import PROJECT_ROOT
from orchestration.season_calendar import calendar_for
from orchestration.warehouse import connect

SEASON = "2021-22"
REAL_FILES = {
    "schedule": f"schedule/nba_playoffs_schedule_{SEASON}.csv.gz",
    "team_box": f"team_box/nba_playoffs_team_box_{SEASON}.csv.gz",
    "player_box": f"player_box/nba_playoffs_player_box_{SEASON}.csv.gz",
}
PLAYER_BOX = "nbac_player_boxscore"
NAME = 9  # personName, the 10th of the 33 player box columns
CITY = 4  # teamCity: read but not loaded


# -- building the corpus -----------------------------------------------------------------------------------


def real_player_lines(real_dir: Path, rows: int | None = None) -> tuple[bytes, list[bytes]]:
    """The header and the first `rows` data lines (all when None) of the real 2021-22 player box, as bytes."""
    header, *lines = gzip.decompress((real_dir / REAL_FILES["player_box"]).read_bytes()).rstrip(b"\n").split(b"\n")
    return header, lines[:rows] if rows else lines


def with_field(line: bytes, index: int, value: bytes) -> bytes:
    fields = line.split(b",")
    fields[index] = value
    return b",".join(fields)


def real_landing(real_dir: Path, root: Path, player_box: bytes, name: str = "corpus.csv") -> Path:
    """The real 2021-22 schedule and team box, and `player_box` (raw bytes) as player_box/<name>."""
    for folder in ("schedule", "team_box"):
        (root / folder).mkdir(parents=True, exist_ok=True)
        shutil.copy(real_dir / REAL_FILES[folder], root / folder)
    (root / "player_box").mkdir(parents=True, exist_ok=True)
    (root / "player_box" / name).write_bytes(player_box)
    return root


@dataclass
class Load:
    code: int
    out: str
    err: str


@pytest.fixture
def cli(capsys, monkeypatch):
    """`nba-pipeline load ...` in this process (the console script's own code), against a given warehouse."""

    def run(warehouse: Path, *args: str) -> Load:
        monkeypatch.setenv("NBA_PIPELINE_DUCKDB", str(warehouse))
        code = main(["load", *map(str, args)])
        captured = capsys.readouterr()
        return Load(code, captured.out, captured.err)

    return run


def data_lines(path: Path) -> int:
    """Physical lines after the header (a final line ending does not start another line)."""
    data = path.read_bytes()
    data = gzip.decompress(data) if path.name.endswith(".gz") else data
    return data.rstrip(b"\n").count(b"\n") if data.rstrip(b"\n") else 0


def landed(warehouse: Path, table: str, path: Path) -> tuple[int, list[tuple[int, str]]]:
    """Rows of `table` loaded from `path`, and its quarantined (line, rule)s."""
    loaded = query(warehouse, f"select count(*) from nba_raw.{table} where source_file = ?", [str(path)])[0][0]
    quarantined = query(
        warehouse,
        """select line_number, rule from nba_raw.load_quarantine
                                      where source_file = ? order by 1""",
        [str(path)],
    )
    return loaded, quarantined


def summary_row(out: str, table: str) -> list[int]:
    """files, read, loaded, quarantined, dedup, skipped of `table` in the printed load summary."""
    line = next(ln for ln in out.splitlines() if ln.startswith(table + " "))
    return [int(x.replace(",", "")) for x in line.split()[1:7]]


def keys_of(lines: list[bytes]) -> set[tuple[str, int]]:
    """(10-char game id, player id) of raw player box lines."""
    return {(f[2].decode().zfill(10), int(f[8])) for f in (ln.split(b",") for ln in lines)}


def loaded_keys(warehouse: Path, path: Path) -> set[tuple[str, int]]:
    return set(
        query(
            warehouse, "select game_id, player_id from nba_raw.nbac_player_boxscore where source_file = ?", [str(path)]
        )
    )


# -- broken lines: only the line itself is set aside -------------------------------------------------------


@pytest.mark.parametrize("rows", [104, None], ids=["104 rows", "whole file"])
def test_unterminated_quote_quarantines_its_line_only(real_dir, tmp_path, cli, rows):
    """The issue's case: one name opens a quote it never closes; the csv reader used to swallow the 96 rows
    after it into one record."""
    header, lines = real_player_lines(real_dir, rows)
    broken = 6
    lines[broken] = with_field(lines[broken], NAME, b'"' + lines[broken].split(b",")[NAME])
    root = real_landing(real_dir, tmp_path / "landing", b"\n".join([header, *lines]) + b"\n")
    result = cli(tmp_path / "w.duckdb", root)

    assert result.code == 0, result.err
    path = root / "player_box" / "corpus.csv"
    loaded, quarantined = landed(tmp_path / "w.duckdb", PLAYER_BOX, path)
    assert quarantined == [(broken + 2, "unterminated_quote")]
    assert loaded == len(lines) - 1 and data_lines(path) == loaded + len(quarantined)
    assert summary_row(result.out, PLAYER_BOX) == [1, len(lines), len(lines) - 1, 1, 0, 0]
    assert loaded_keys(tmp_path / "w.duckdb", path) == keys_of(lines[:broken] + lines[broken + 1 :])
    raw, day = query(tmp_path / "w.duckdb", "select raw_text, game_date from nba_raw.load_quarantine")[0]
    assert raw == lines[broken].decode() and day == date.fromisoformat(lines[broken].split(b",")[1].decode())


def test_broken_lines_of_every_kind(real_dir, tmp_path, cli):
    """Extra trailing fields, a ragged (short) line, a repeated header with a BOM (two files concatenated),
    an unterminated quote on the last line and blank lines, in the whole real file (big enough for the
    fast reader, which hands such a file to the line reader)."""
    header, lines = real_player_lines(real_dir)
    good = list(lines)
    edits = {
        10: lines[10] + b",,",
        20: b",".join(lines[20].split(b",")[:30]),
        30: b"\xef\xbb\xbf" + header,
        len(lines) - 1: with_field(lines[-1], NAME, b'"' + lines[-1].split(b",")[NAME]),
    }
    for i, text in edits.items():
        lines[i] = text
    lines[40:40] = [b"", b"   "]  # two blank lines: read, skipped
    root = real_landing(real_dir, tmp_path / "landing", b"\n".join([header, *lines]) + b"\n")
    result = cli(tmp_path / "w.duckdb", root)

    assert result.code == 0, result.err
    path = root / "player_box" / "corpus.csv"
    loaded, quarantined = landed(tmp_path / "w.duckdb", PLAYER_BOX, path)
    assert quarantined == [
        (12, "wrong_column_count"),
        (22, "wrong_column_count"),
        (32, "repeated_header"),
        (len(lines) + 1, "unterminated_quote"),
    ]
    assert data_lines(path) == len(lines) == loaded + len(quarantined) + 2
    assert summary_row(result.out, PLAYER_BOX) == [1, len(lines), loaded, 4, 0, 2]
    assert loaded_keys(tmp_path / "w.duckdb", path) == keys_of([g for i, g in enumerate(good) if i not in edits])


def test_header_only_files_bom_and_crlf(real_dir, tmp_path, cli):
    """A BOM and CRLF line ends read like plain UTF-8; header-only files (with and without a final line end)
    are files with no rows, not errors."""
    header, lines = real_player_lines(real_dir)
    root = real_landing(real_dir, tmp_path / "landing", b"\xef\xbb\xbf" + b"\r\n".join([header, *lines]) + b"\r\n")
    (root / "player_box" / "empty_a.csv").write_bytes(b"\xef\xbb\xbf" + header + b"\r\n")
    (root / "player_box" / "empty_b.csv").write_bytes(header)
    result = cli(tmp_path / "w.duckdb", root)

    assert result.code == 0, result.err
    assert summary_row(result.out, PLAYER_BOX) == [3, len(lines), len(lines), 0, 0, 0]
    assert loaded_keys(tmp_path / "w.duckdb", root / "player_box" / "corpus.csv") == keys_of(lines)
    assert query(tmp_path / "w.duckdb", "select count(*) from nba_raw.load_quarantine") == [(0,)]
    assert "warning" not in result.out


def test_non_utf8_lines_fall_back_and_names_come_out_right(real_dir, tmp_path, cli):
    """A latin-1 "Nenê" and a cp1252 "O’Neal" in a UTF-8 file with a "Jokić": each line in its own encoding
    (cp1252 first, latin-1 for a byte cp1252 lacks), a warning naming the file, no line refused."""
    header, lines = real_player_lines(real_dir, 104)
    lines[3] = with_field(lines[3], NAME, "Nenê".encode("latin-1"))
    lines[5] = with_field(lines[5], NAME, "Jermaine O’Neal".encode("cp1252"))
    lines[7] = with_field(lines[7], NAME, "Nikola Jokić".encode())
    lines[9] = with_field(lines[9], CITY, b"Mi\x81mi")  # 0x81: not in cp1252, latin-1 decodes it
    root = real_landing(real_dir, tmp_path / "landing", b"\n".join([header, *lines]) + b"\n")
    result = cli(tmp_path / "w.duckdb", root)

    assert result.code == 0, result.err
    path = root / "player_box" / "corpus.csv"
    names = dict(query(tmp_path / "w.duckdb", "select source_line, player_name from nba_raw.nbac_player_boxscore"))
    assert (names[5], names[7], names[9]) == ("Nenê", "Jermaine O’Neal", "Nikola Jokić")
    assert landed(tmp_path / "w.duckdb", PLAYER_BOX, path) == (104, [])
    warning = next(ln for ln in result.out.splitlines() if ln.startswith("warning:") and str(path) in ln)
    assert "2 line(s) read as cp1252 (line 5, 7)" in warning and "1 line(s) read as latin-1 (line 11)" in warning


def test_fast_and_line_readers_agree(real_dir, tmp_path, monkeypatch):
    """The whole real folder read by pyarrow (big clean files) and by the line reader gives the same rows."""
    results = []
    for name, threshold in (("fast", csvfiles.ARROW_MIN_LINES), ("lines", 10**9)):
        monkeypatch.setattr(csvfiles, "ARROW_MIN_LINES", threshold)
        with connect(tmp_path / f"{name}.duckdb") as con:
            load_landing(real_dir, con=con)
            results.append(
                con.execute("select * exclude (loaded_at) from nba_raw.nbac_player_boxscore order by all").fetchall()
            )
    assert len(results[0]) == 22457 and results[0] == results[1]


def test_a_lost_line_stops_the_load(real_dir, tmp_path, monkeypatch):
    """The count check: a loader bug that drops a row without counting it (here: a duplicate counted twice)
    raises before anything is written."""
    header, lines = real_player_lines(real_dir, 104)
    root = real_landing(real_dir, tmp_path / "landing", b"\n".join([header, *lines]) + b"\n")

    def miscounting(rows, key):
        return Duplicates(np.array([0, 0], np.int64), np.empty(0, np.int64))

    monkeypatch.setattr("orchestration.loading.staging.find_duplicates", miscounting)
    with connect(tmp_path / "w.duckdb") as con, pytest.raises(LoadAccountingError) as error:
        load_landing(root, con=con)
    assert "nbac_schedule: 87 data lines read but 86 loaded + 0 quarantined + 2 deduplicated" in str(error.value)
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        assert con.execute(
            "select count(*) from information_schema.tables where table_schema = 'nba_raw'"
        ).fetchone() == (0,)


# -- whole seasons ---------------------------------------------------------------------------------------


def test_partial_range_loads_the_whole_season_schedule(generated_landing, tmp_path, cli):
    warehouse = tmp_path / "w.duckdb"
    result = cli(warehouse, generated_landing, "--start", "2022-01-01", "--end", "2022-01-31")

    assert result.code == 0, result.err
    assert "nbac_schedule: whole season(s) 2021-22" in result.out
    calendar = calendar_for(2021)
    schedule_file = generated_landing / "schedule" / f"nba_schedule_{SEASON}.csv.gz"
    assert query(warehouse, "select min(game_date), max(game_date), count(*) from nba_raw.nbac_schedule") == [
        (calendar.regular_season_start, calendar.last_game, data_lines(schedule_file))
    ]
    assert query(warehouse, "select min(game_date), max(game_date) from nba_raw.nbac_player_boxscore") == [
        (date(2022, 1, 1), date(2022, 1, 31))
    ]
    # Every line of every file: loaded, or skipped as outside the range (nothing quarantined).
    for table, folder in ((PLAYER_BOX, "player_box"), ("nbac_team_boxscore", "team_box")):
        files, read, loaded, quarantined, dedup, skipped = summary_row(result.out, table)
        paths = sorted((generated_landing / folder).glob("*.csv.gz"))
        assert read == sum(data_lines(p) for p in paths) == loaded + skipped and quarantined == dedup == 0
        assert loaded == sum(landed(warehouse, table, p)[0] for p in paths)


# -- datasets ---------------------------------------------------------------------------------------------


def datasets(warehouse: Path) -> list[tuple[str, str, str]]:
    return query(warehouse, "select dataset_id, kind, segments from nba_raw.landing_datasets order by 1")


def raw_counts(warehouse: Path) -> list[tuple]:
    return query(
        warehouse,
        """select (select count(*) from nba_raw.nbac_schedule),
                                      (select count(*) from nba_raw.nbac_player_boxscore),
                                      (select count(*) from nba_raw.landing_folders)""",
    )


def test_real_over_generated_is_refused_then_allowed(
    generated_raw_warehouse, generated_landing, real_dir, tmp_path, cli
):
    warehouse = copy_warehouse(generated_raw_warehouse, tmp_path / "w.duckdb")
    generated = "generated:seed-7:from-2021-22"
    assert datasets(warehouse) == [(generated, "generated", "regular_season,play_in,playoffs")]
    before = raw_counts(warehouse)

    # the console script itself: exit code 2 and one paragraph on stderr, nothing written
    process = subprocess.run(
        [str(Path(sys.executable).parent / "nba-pipeline"), "load", str(real_dir)],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        env={"PATH": "/usr/bin:/bin", "NBA_PIPELINE_DUCKDB": str(warehouse)},
    )
    assert process.returncode == 2, process.stderr
    message = process.stderr.strip()
    assert message.startswith(f"load refused: the warehouse {warehouse} holds generated data") and "\n" not in message
    for part in (
        generated,
        f"loaded from {generated_landing}",
        f"The landing {real_dir} is real data",
        "real:nba-playoffs-2010-2024",
        "recognised by PROVENANCE.md",
        "--allow-other-dataset",
    ):
        assert part in message
    assert raw_counts(warehouse) == before

    result = cli(warehouse, real_dir, "--allow-other-dataset")
    assert result.code == 0, result.err
    assert datasets(warehouse) == [
        (generated, "generated", "regular_season,play_in,playoffs"),
        ("real:nba-playoffs-2010-2024", "real", "playoffs"),
    ]
    assert "dataset: real data: real NBA playoffs" in result.out


def test_same_dataset_from_another_folder_loads_without_a_flag(
    generated_raw_warehouse, generated_landing, tmp_path, cli
):
    """A folder of one day's corrected files, copied out of the generated dataset (no manifest, another
    name, another place), is recognised as that dataset by its player ids."""
    warehouse = copy_warehouse(generated_raw_warehouse, tmp_path / "w.duckdb")
    source = generated_landing / "player_box" / f"nba_player_box_{SEASON}.csv.gz"
    header, *lines = gzip.decompress(source.read_bytes()).rstrip(b"\n").split(b"\n")
    day = b"2022-01-12"
    played = [ln.split(b",")[13] != b"" for ln in lines]  # minutes: DNP rows keep their zero plus-minus
    fixed = [
        with_field(ln, 32, str(int(ln.split(b",")[32]) + 1).encode()) if play else ln
        for ln, play in zip(lines, played)
        if ln.split(b",")[1] == day
    ]
    fix = tmp_path / "corrections"
    for folder in ("schedule", "team_box", "player_box"):
        (fix / folder).mkdir(parents=True)
    (fix / "player_box" / "fix.csv").write_bytes(b"\n".join([header, *fixed]) + b"\n")
    sql = "select player_id, plus_minus, is_dnp from nba_raw.nbac_player_boxscore where game_date = '2022-01-12'"
    before = {p: (pm, dnp) for p, pm, dnp in query(warehouse, sql)}

    result = cli(warehouse, fix)
    assert result.code == 0, result.err
    after = {p: (pm, dnp) for p, pm, dnp in query(warehouse, sql)}
    assert len(after) == len(before) == len(fixed) > 0 and any(not dnp for _, dnp in before.values())
    assert all(after[p] == (pm + (not dnp), dnp) for p, (pm, dnp) in before.items())
    assert datasets(warehouse) == [("generated:seed-7:from-2021-22", "generated", "regular_season,play_in,playoffs")]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert recorded_landing(con) == generated_landing.resolve()
        assert recorded_landing(con, date(2022, 1, 12)) == fix.resolve()  # the correction wins its date
        assert recorded_landing(con, date(2022, 1, 13)) == generated_landing.resolve()
        assert recorded_landing(con, date(2022, 7, 1)) is None  # off-season: no folder holds it


def test_real_corrections_load_into_the_real_warehouse(real_raw_warehouse, real_dir, tmp_path, cli):
    warehouse = copy_warehouse(real_raw_warehouse, tmp_path / "w.duckdb")
    header, lines = real_player_lines(real_dir)
    day_lines = [ln for ln in lines if ln.split(b",")[1] == b"2022-05-01"]
    root = tmp_path / "day"
    for folder in ("schedule", "team_box"):
        (root / folder).mkdir(parents=True)
    (root / "player_box").mkdir()
    (root / "player_box" / "2022-05-01.csv").write_bytes(b"\n".join([header, *day_lines]) + b"\n")
    result = cli(warehouse, root)
    assert result.code == 0, result.err
    assert summary_row(result.out, PLAYER_BOX)[1:4] == [len(day_lines), len(day_lines), 0]
    assert datasets(warehouse) == [("real:nba-playoffs-2010-2024", "real", "playoffs")]


def test_other_generated_dataset_and_mixed_landings_are_refused(
    generated_raw_warehouse, generated_landing, real_dir, tmp_path, cli
):
    warehouse = copy_warehouse(generated_raw_warehouse, tmp_path / "w.duckdb")
    before = raw_counts(warehouse)
    # the same files under another seed's manifest: another dataset
    other = tmp_path / "other"
    shutil.copytree(generated_landing, other)
    write_manifest(other, generated_manifest(8, [SEASON]))
    result = cli(warehouse, other)
    assert result.code == 2 and "generated:seed-8:from-2021-22" in result.err and "--allow-other-dataset" in result.err
    # generated files with one real player box file among them: neither dataset
    mixed = tmp_path / "mixed"
    shutil.copytree(generated_landing, mixed)
    (mixed / MANIFEST_FILE).unlink()
    shutil.copy(real_dir / REAL_FILES["player_box"], mixed / "player_box")
    result = cli(warehouse, mixed)
    assert result.code == 2 and "mixed data: files of both kinds (generated player ids in" in result.err
    assert f"real player ids in player_box/{Path(REAL_FILES['player_box']).name}" in result.err
    assert raw_counts(warehouse) == before


def test_a_warehouse_loaded_before_datasets_were_recorded(real_raw_warehouse, generated_landing, tmp_path, cli):
    """No dataset rows yet (an older warehouse): its loaded player ids still tell it holds real data."""
    warehouse = copy_warehouse(real_raw_warehouse, tmp_path / "w.duckdb")
    with duckdb.connect(str(warehouse)) as con:
        con.execute("delete from nba_raw.landing_datasets; delete from nba_raw.landing_folders")
    result = cli(warehouse, generated_landing)
    assert result.code == 2
    assert "holds real data: rows loaded before datasets were recorded" in result.err


def test_a_broken_manifest_is_refused_naming_it(generated_landing, tmp_path, cli):
    root = tmp_path / "landing"
    shutil.copytree(generated_landing, root)
    (root / MANIFEST_FILE).write_text('{"kind": "generated"}')
    result = cli(tmp_path / "w.duckdb", root)
    assert result.code == 2
    assert f"load refused: landing files cannot be loaded:\n  {root / MANIFEST_FILE}" in result.err
    assert "KeyError" in result.err
    with pytest.raises(LandingFileError):
        load_landing(root, con=connect(tmp_path / "x.duckdb"))
