"""The coverage page's templates: installed with the package, and every value they show is escaped.

The page itself, rendered from a real warehouse, is tested in test_monitoring_status_validation.py.
"""

from __future__ import annotations

import fnmatch
import re
import tomllib
from datetime import date, datetime
from pathlib import Path

from orchestration.monitoring import coverage_html
from orchestration.monitoring.coverage import CoverageCell, summarize
from orchestration.monitoring.gaps import GapRecord

ROOT = Path(__file__).resolve().parents[1]


def test_every_template_is_package_data():
    """A template the wheel leaves out renders in the editable checkout and fails once installed."""
    package_data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    package_dir = Path(coverage_html.__file__).parent
    patterns = package_data["orchestration.monitoring"]
    templates = sorted(p.relative_to(package_dir).as_posix() for p in (package_dir / "templates").iterdir())
    assert templates, "no templates found"
    assert [t for t in templates if not any(fnmatch.fnmatch(t, pattern) for pattern in patterns)] == []
    assert set(coverage_html.TEMPLATES.list_templates()) == {t.removeprefix("templates/") for t in templates}


def test_values_from_the_data_are_escaped():
    hostile = "<script>alert('x')</script> & \"quoted\""
    cells = [
        CoverageCell(
            date(2021, 11, 10),
            2021,
            phase,
            4,
            0 if phase == 3 else 4,
            "blocked" if phase == 3 else "complete",
            hostile if phase == 3 else "",
        )
        for phase in (2, 3, 4, 5, 6)
    ]
    gap = GapRecord(
        None,
        datetime(2021, 11, 11),
        2,
        3,
        date(2021, 11, 10),
        "missing",
        1,
        "open",
        None,
        datetime(2021, 11, 11),
        None,
        None,
        None,
        hostile,
    )
    page = coverage_html.render_coverage_html(
        cells, summarize(cells), [gap], warehouse=hostile, generated_at=datetime(2021, 11, 11, 8, 0)
    )
    assert not re.search(r"<script\b", page)
    assert page.count("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &#34;quoted&#34;") == 3
    assert "2021-11-10 phase 3: blocked, 0/4 games complete" in page
    assert page.count("<rect") == 5 and "1 blocked (phase 3)" in page
