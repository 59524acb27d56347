"""`manage.py import_cases`: exit status, output, every error printed, --dry-run, unknown names."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from cases.models import Case, Debtor
from compliance.audit import verify_chain
from compliance.models import AuditEvent
from tests.factories import MandateFactory
from tests.fixtures.placement import csv_bytes, valid_row, xlsx_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def placing(creditor, supervisor):
    """A creditor placing with `supervisor`, with a mandate valid around the real today (the command's)."""
    today = timezone.localdate()
    MandateFactory(
        creditor=creditor,
        valid_from=today - dt.timedelta(days=30),
        valid_until=today + dt.timedelta(days=365),
    )
    creditor.default_supervisor = supervisor
    creditor.save()
    return creditor


def import_cases(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_cases", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def write(tmp_path, rows, name="placement.csv", **kwargs):
    path = tmp_path / name
    path.write_bytes(xlsx_bytes(rows) if name.endswith(".xlsx") else csv_bytes(rows, **kwargs))
    return str(path)


def test_import_succeeds_and_reports(placing, tmp_path):
    path = write(tmp_path, [valid_row(1), valid_row(2)], encoding="gb18030")
    out, err = import_cases("--creditor", "hzbank", path)
    assert err == ""
    assert "placement.csv (csv (gb18030)" in out
    assert "2 cases were created, 0 updated, 0 unchanged" in out
    assert Case.objects.count() == 2
    # Commands act as the system account unless --actor names someone.
    assert {h.history_user.username for h in Case.history.all()} == {"fieldledger-system"}
    assert AuditEvent.objects.filter(action="placement.imported", actor__startswith="user:").count() == 1

    out, _err = import_cases("--creditor", "hzbank", path, "--actor", "sup")
    assert "0 cases were created, 0 updated, 2 unchanged" in out
    assert Case.objects.count() == 2
    assert verify_chain().ok


def test_xlsx_file(placing, tmp_path):
    path = write(
        tmp_path,
        [valid_row(1, phone=13800138000.0, overdue_since=dt.date(2026, 1, 2))],
        name="placement.xlsx",
    )
    out, _err = import_cases("--creditor", "hzbank", path)
    assert "1 cases were created" in out
    assert Debtor.objects.get().phones.get().number == "13800138000"


def test_every_error_is_printed_and_nothing_written(placing, tmp_path):
    rows = [
        valid_row(1, currency="RMB"),
        valid_row(2),
        valid_row(3, principal="-1", overdue_since="soon"),
        valid_row(4, external_ref="REF-00002"),
    ]
    path = write(tmp_path, rows)
    err = io.StringIO()
    with pytest.raises(CommandError) as error:
        call_command("import_cases", "--creditor", "hzbank", path, stdout=io.StringIO(), stderr=err)
    assert "4 error(s) in 4 data row(s); nothing was imported" in str(error.value)
    assert err.getvalue().splitlines() == [
        "line 2, column currency: must be one of CNY, USD, GBP, EUR, HKD",
        "line 4, column principal: must not be negative",
        "line 4, column overdue_since: is not a date (write it as YYYY-MM-DD)",
        "line 5, column external_ref: duplicate external_ref: it is already on line 3",
    ]
    assert not Case.objects.exists()
    assert list(
        AuditEvent.objects.values_list("action", flat=True).filter(action__startswith="placement")
    ) == ["placement.imported.refused"]


def test_mandate_coverage_errors_come_from_the_database_check(creditor, supervisor, tmp_path):
    creditor.default_supervisor = supervisor
    creditor.save()
    path = write(tmp_path, [valid_row(1)])
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_cases", "--creditor", "hzbank", path, stdout=io.StringIO(), stderr=err)
    assert err.getvalue().strip() == (
        "line 2, column product: no valid mandate of creditor hzbank covers product “consumer_loan” (MANDATE_VALID)"
    )


def test_dry_run_writes_nothing(placing, tmp_path):
    path = write(tmp_path, [valid_row(1), valid_row(2)])
    before = AuditEvent.objects.count()
    out, _err = import_cases("--creditor", "hzbank", "--dry-run", path)
    assert out.startswith("Dry run, nothing written: ")
    assert "2 cases would be created" in out
    assert not Case.objects.exists()
    assert not Debtor.objects.exists()
    assert AuditEvent.objects.count() == before


def test_dry_run_with_errors_fails_too(placing, tmp_path):
    path = write(tmp_path, [valid_row(1, currency="RMB")])
    with pytest.raises(CommandError):
        call_command(
            "import_cases",
            "--creditor",
            "hzbank",
            "--dry-run",
            path,
            stdout=io.StringIO(),
            stderr=io.StringIO(),
        )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--creditor", "nope"], "Unknown creditor code: nope"),
        (["--creditor", "hzbank", "--supervisor", "ghost"], "Unknown supervisor: ghost"),
        (["--creditor", "hzbank", "--actor", "ghost"], "Unknown actor: ghost"),
        (["--creditor", "hzbank", "--supervisor", "agent1"], "is not an active supervisor with a team"),
        (["--creditor", "hzbank", "--actor", "agent1"], "Your role cannot import placement files"),
    ],
)
def test_unknown_or_unfit_names_fail(placing, agent, tmp_path, args, message):
    path = write(tmp_path, [valid_row(1)])
    with pytest.raises(CommandError) as error:
        import_cases(*args, path)
    assert message in str(error.value)
    assert not Case.objects.exists()


def test_no_supervisor_anywhere_fails_with_a_hint(creditor, tmp_path):
    path = write(tmp_path, [valid_row(1)])
    with pytest.raises(CommandError) as error:
        import_cases("--creditor", "hzbank", path)
    assert "has no default supervisor" in str(error.value)
    assert "--supervisor USERNAME" in str(error.value)


def test_named_supervisor(placing, other_supervisor, tmp_path):
    path = write(tmp_path, [valid_row(1)])
    out, _err = import_cases("--creditor", "hzbank", "--supervisor", "sup2", path)
    assert "supervisor sup2 (south)" in out
    assert Case.objects.get().supervisor == other_supervisor


def test_unreadable_file(placing, tmp_path):
    with pytest.raises(CommandError) as error:
        import_cases("--creditor", "hzbank", str(tmp_path / "missing.csv"))
    assert "Cannot read" in str(error.value)
    bad = tmp_path / "placement.txt"
    bad.write_text("x")
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_cases", "--creditor", "hzbank", str(bad), stdout=io.StringIO(), stderr=err)
    assert err.getvalue().strip() == "file: only .csv and .xlsx files are accepted"


def test_exit_status_from_the_command_line(placing, tmp_path, capsys, monkeypatch):
    """What `manage.py import_cases` returns to the shell: 0 on success, 1 on any error."""
    from django.core.management import ManagementUtility
    from django.db import connections

    # run_from_argv closes every connection when it ends; the test's transaction needs its own.
    monkeypatch.setattr(connections, "close_all", lambda: None)

    good = write(tmp_path, [valid_row(1)], name="good.csv")
    ManagementUtility(["manage.py", "import_cases", "--creditor", "hzbank", good]).execute()  # no SystemExit
    bad = write(tmp_path, [valid_row(2, currency="RMB")], name="bad.csv")
    with pytest.raises(SystemExit) as exit_info:
        ManagementUtility(["manage.py", "import_cases", "--creditor", "hzbank", bad]).execute()
    assert exit_info.value.code == 1
    err = capsys.readouterr().err
    assert "line 2, column currency: must be one of CNY" in err
    assert "CommandError: bad.csv: 1 error(s) in 1 data row(s); nothing was imported." in err
