"""`make bench` end to end at a tiny scale (the full scale is run by hand: bench/README.md), and its
refusal of SQLite."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

BENCH = Path(__file__).resolve().parent.parent / "bench" / "run.py"


def _run(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": database_url, "DJANGO_SETTINGS_MODULE": "config.settings.local"}
    return subprocess.run(  # noqa: S603 - our own script
        [sys.executable, str(BENCH), *args], capture_output=True, text=True, env=env, timeout=300, check=False
    )


def test_the_bench_refuses_sqlite_with_a_clear_message():
    result = _run("sqlite:///bench.sqlite3")

    assert result.returncode == 2
    assert "make bench needs PostgreSQL" in result.stderr
    assert "SQLite is refused" in result.stderr


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="the bench runs on PostgreSQL only")
def test_the_bench_runs_end_to_end_at_a_tiny_scale(transactional_db, shipped_rule_packs):
    # The bench seeds the test database itself (committed: a transactional test, flushed afterwards).
    settings = connection.settings_dict
    url = (
        f"postgres://{settings['USER']}:{settings['PASSWORD'] or ''}@{settings['HOST'] or '127.0.0.1'}:"
        f"{settings['PORT'] or 5432}/{settings['NAME']}"
    )
    result = _run(
        url,
        *("--cases", "150", "--events", "2000", "--small", "20", "--repeat", "2"),
        *("--appends", "3", "--writers", "8", "--transitions", "2", "--pdfs", "1", "--out", ""),
    )

    assert result.returncode == 0, result.stderr[-3000:]
    table = result.stdout
    for line in (
        "| case list: queries at 100 / ",
        "| case list: its SQL (all statements) vs the minimal SQL (",
        "| case list: server p50 / p95 (",
        "| case list of an agent (200 assigned): queries at 100 / ",
        "| case detail: queries at 100 / ",
        "| audit search: queries at 100 / ",
        "| dashboard: queries at 100 / ",
        "| placement import of 150 rows vs COPY |",
        "audit JSONL export of",
        "| audit appends, 8 concurrent writers vs plain INSERTs |",
        "| transition case_verify (lock, checks, history, audit) vs save() |",
        "| PDF visit report (service) vs bare WeasyPrint, same HTML |",
    ):
        assert line in table
    rows = {
        r.split("|")[1].strip(): r.split("|")[-2].strip() for r in table.splitlines() if r.startswith("| ")
    }
    # The large size is the database's own count (here 170 cases: "100 / 170 cases").
    queries = {what.split(":")[0]: result for what, result in rows.items() if ": queries at 100 / " in what}
    assert queries["case detail"] == "pass"
    assert queries["audit search"] == "pass"
    assert queries["case list of an agent (200 assigned)"] == "pass"
    assert rows["the chain after the run (verify_chain)"] == "pass"
