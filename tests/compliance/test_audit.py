"""The audit chain: gapless appends, a hash anyone can recompute, tamper detection, and a database
that refuses UPDATE and DELETE (while a test flush still empties it)."""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import itertools
import json
import re
import uuid
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from compliance import audit
from compliance.models import AuditEvent

ZEROS = "0" * 64
AT_FORMAT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")


def canonical(obj: object) -> str:
    """The issue's definition, written out again here rather than imported from the code under test."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def body_of(event: AuditEvent) -> dict:
    return {
        "seq": event.seq,
        "at": event.at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "actor": event.actor,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "data": event.data,
        "prev_hash": event.prev_hash,
    }


def expected_hash(event: AuditEvent) -> str:
    return hashlib.sha256((event.prev_hash + canonical(body_of(event))).encode("utf-8")).hexdigest()


def record_three() -> list[AuditEvent]:
    for n in range(3):
        audit.record(
            actor=None,
            action="test.event",
            object_type="tests.thing",
            object_id=str(n),
            data={"n": n, "name": "张三"},
        )
    return list(AuditEvent.objects.order_by("seq"))


# --- appending and hashing --------------------------------------------------------------------


@pytest.mark.django_db
def test_record_appends_gapless_sequence_linked_by_prev_hash():
    events = record_three()

    assert [e.seq for e in events] == [1, 2, 3]
    assert events[0].prev_hash == ZEROS
    assert events[1].prev_hash == events[0].hash
    assert events[2].prev_hash == events[1].hash


@pytest.mark.django_db
def test_hash_is_sha256_of_prev_hash_and_canonical_body_recomputed_independently():
    events = record_three()

    for event in events:  # read back from the database: the stored values are what was hashed
        assert AT_FORMAT.match(body_of(event)["at"])
        assert event.hash == expected_hash(event)


@pytest.mark.django_db
def test_record_returns_the_stored_event():
    returned = audit.record(actor=None, action="test.event", object_type="t", object_id="1", data={"k": "v"})
    stored = AuditEvent.objects.get(seq=returned.seq)

    assert returned.hash == stored.hash == expected_hash(stored)


@pytest.mark.django_db
def test_actor_and_object_are_references_only(agent, case):
    before = AuditEvent.objects.count()
    event = audit.record(actor=agent, action="test.event", obj=case.debtor)

    assert AuditEvent.objects.count() == before + 1
    assert event.actor == f"user:{agent.pk}"
    assert event.actor_user_id == agent.pk
    assert (event.object_type, event.object_id) == ("cases.debtor", str(case.debtor.pk))
    line = audit.export_line(event)
    assert agent.username not in line
    assert case.debtor.name not in line


@pytest.mark.django_db
def test_no_actor_is_system():
    assert audit.record(actor=None, action="test.event", object_type="t", object_id="1").actor == "system"


@pytest.mark.django_db
def test_case_id_is_indexed_from_data():
    event = audit.record(actor=None, action="test.event", object_type="t", object_id="1", case_id=42)

    assert event.case_id == 42
    assert event.data["case"] == 42


@pytest.mark.django_db
def test_export_line_is_exactly_the_hashed_body_plus_hash_in_canonical_form():
    audit.record(
        actor=None,
        action="test.event",
        object_type="t",
        object_id="1",
        data={"b": [1, 2], "a": "中文", "amount": Decimal("12.50")},
    )
    event = AuditEvent.objects.get()

    line = audit.export_line(event)

    assert line == canonical({**body_of(event), "hash": event.hash})
    assert "中文" in line  # ensure_ascii=False
    parsed = json.loads(line)
    recomputed = hashlib.sha256(
        (parsed["prev_hash"] + canonical({k: v for k, v in parsed.items() if k != "hash"})).encode()
    ).hexdigest()
    assert recomputed == parsed["hash"]


@pytest.mark.django_db
@pytest.mark.parametrize("data", [{"x": 1.5}, {"nested": {"x": 0.1}}, {"items": [1, 2.0]}])
def test_floats_are_refused(data):
    with pytest.raises(TypeError, match="float"):
        audit.record(actor=None, action="test.event", object_type="t", object_id="1", data=data)

    assert not AuditEvent.objects.exists()


@pytest.mark.django_db
def test_unknown_types_are_refused():
    with pytest.raises(TypeError):
        audit.record(actor=None, action="test.event", object_type="t", object_id="1", data={"x": object()})


@pytest.mark.django_db
def test_decimal_date_datetime_uuid_set_are_stringified_reproducibly():
    ident = uuid.UUID("12345678-1234-5678-1234-567812345678")
    event = audit.record(
        actor=None,
        action="test.event",
        object_type="t",
        object_id="1",
        data={
            "amount": Decimal("8200.50"),
            "day": dt.date(2026, 11, 23),
            "at": dt.datetime(2026, 11, 23, 18, 0, tzinfo=dt.timezone(dt.timedelta(hours=8))),
            "id": ident,
            "tags": {"b", "a"},
            "pair": (1, "x"),
        },
    )
    stored = AuditEvent.objects.get(seq=event.seq)

    assert stored.data == {
        "amount": "8200.50",
        "day": "2026-11-23",
        "at": "2026-11-23T10:00:00.000000Z",
        "id": str(ident),
        "tags": ["a", "b"],
        "pair": [1, "x"],
    }
    assert stored.hash == expected_hash(stored)


@pytest.mark.django_db
def test_record_many_continues_the_chain():
    audit.record(actor=None, action="test.first", object_type="t", object_id="0")
    count = audit.record_many(
        [audit.EventSpec("test.bulk", object_type="t", object_id=str(i), data={"i": i}) for i in range(5)],
        batch_size=2,
    )

    events = list(AuditEvent.objects.order_by("seq"))
    assert count == 5
    assert [e.seq for e in events] == [1, 2, 3, 4, 5, 6]
    for previous, event in itertools.pairwise(events):
        assert event.prev_hash == previous.hash
        assert event.hash == expected_hash(event)
    assert audit.verify_chain().ok


# --- verification -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_verify_empty_chain():
    assert audit.verify_chain() == audit.VerifyResult(True, 0, ZEROS)


@pytest.mark.django_db
def test_verify_chain_ok_reports_count_and_head():
    events = record_three()

    result = audit.verify_chain()

    assert result.ok
    assert result.count == 3
    assert result.head_hash == events[-1].hash
    assert result.bad_seq is None


@pytest.fixture
def chain(db):  # type: ignore[no-untyped-def]
    """Five stored events, loaded as in-memory copies that a test may tamper with."""
    for n in range(5):
        audit.record(actor=None, action="test.event", object_type="t", object_id=str(n), data={"n": n})
    return [copy.deepcopy(e) for e in AuditEvent.objects.order_by("seq")]


def test_tampered_data_is_detected(chain):
    chain[2].data = {"n": 999}

    result = audit.verify_chain(chain)

    assert (result.ok, result.bad_seq, result.count) == (False, 3, 2)
    assert result.reason == "hash does not match the event's content"
    assert result.head_hash == chain[1].hash  # the last good event


@pytest.mark.parametrize(
    ("field", "value"),
    [("action", "test.other"), ("actor", "user:1"), ("object_id", "x"), ("object_type", "x")],
)
def test_tampered_hashed_field_is_detected(chain, field, value):
    setattr(chain[1], field, value)

    result = audit.verify_chain(chain)

    assert (result.ok, result.bad_seq) == (False, 2)
    assert result.reason == "hash does not match the event's content"


def test_tampered_time_is_detected(chain):
    chain[3].at = chain[3].at + dt.timedelta(microseconds=1)

    assert audit.verify_chain(chain).bad_seq == 4


def test_rehashed_event_breaks_the_next_link(chain):
    """Rewriting an event and its own hash is not enough: the next event's prev_hash no longer fits."""
    chain[2].data = {"n": 999}
    chain[2].hash = expected_hash(chain[2])

    result = audit.verify_chain(chain)

    assert (result.ok, result.bad_seq) == (False, 4)
    assert result.reason == "prev_hash does not match the previous event's hash"


def test_changed_prev_hash_is_detected(chain):
    chain[3].prev_hash = "f" * 64

    result = audit.verify_chain(chain)

    assert (result.ok, result.bad_seq) == (False, 4)
    assert result.reason == "prev_hash does not match the previous event's hash"


def test_first_event_must_start_from_zeros(chain):
    chain[0].prev_hash = "1" * 64
    chain[0].hash = expected_hash(chain[0])

    result = audit.verify_chain(chain)

    assert (result.ok, result.bad_seq) == (False, 1)
    assert "prev_hash" in result.reason


def test_gap_is_detected(chain):
    del chain[2]

    result = audit.verify_chain(chain)

    assert (result.ok, result.bad_seq, result.count) == (False, 3, 2)
    assert result.reason == "gap: expected seq 3, found 4"


def test_missing_first_event_is_a_gap(chain):
    result = audit.verify_chain(chain[1:])

    assert (result.ok, result.bad_seq, result.count) == (False, 1, 0)
    assert result.reason == "gap: expected seq 1, found 2"


def test_case_index_must_agree_with_data(chain):
    chain[1].case_id = 7  # an index pointing elsewhere than data.case would misfile the event

    result = audit.verify_chain(chain)

    assert (result.ok, result.bad_seq) == (False, 2)
    assert result.reason == "case index does not match data.case"


def test_untampered_copy_verifies(chain):
    assert audit.verify_chain(chain).ok


# --- the database refuses UPDATE and DELETE -----------------------------------------------------


def refused(sql: str, params: list | None = None) -> None:
    # The savepoint keeps the test transaction usable after the error (PostgreSQL aborts it otherwise).
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, params)


@pytest.mark.django_db
def test_database_refuses_raw_update():
    record_three()

    refused("UPDATE compliance_auditevent SET action = 'x'")
    refused("UPDATE compliance_auditevent SET data = %s WHERE seq = %s", ['{"n": 9}', 2])

    assert set(AuditEvent.objects.values_list("action", flat=True)) == {"test.event"}


@pytest.mark.django_db
def test_database_refuses_raw_delete():
    record_three()

    refused("DELETE FROM compliance_auditevent")
    refused("DELETE FROM compliance_auditevent WHERE seq = 3")

    assert AuditEvent.objects.count() == 3


@pytest.mark.django_db
def test_orm_update_and_delete_are_refused():
    events = record_three()

    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(seq=2).update(action="x")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.all().delete()
    event = events[1]
    event.action = "x"
    with pytest.raises(DatabaseError), transaction.atomic():
        event.save()
    with pytest.raises(DatabaseError), transaction.atomic():
        events[2].delete()

    assert audit.verify_chain().count == 3
    assert AuditEvent.objects.get(seq=2).action == "test.event"


@pytest.mark.django_db
def test_append_cannot_reuse_a_seq():
    record_three()
    forged = audit._build(
        audit.EventSpec("test.forged", object_type="t", object_id="1"),
        seq=2,
        prev_hash="e" * 64,
        at=audit._now(),
    )

    with pytest.raises(DatabaseError), transaction.atomic():
        forged.save(force_insert=True)


@pytest.mark.django_db
def test_fork_is_refused_by_unique_prev_hash():
    """Two events claiming the same predecessor would fork the chain; the unique prev_hash refuses it."""
    events = record_three()
    fork = audit._build(
        audit.EventSpec("test.fork", object_type="t", object_id="1"),
        seq=99,
        prev_hash=events[1].hash,
        at=audit._now(),
    )

    with pytest.raises(DatabaseError), transaction.atomic():
        fork.save(force_insert=True)


# --- flush (TransactionTestCase, live_server) still empties the table ---------------------------
# These two run in this order among the transactional tests (pytest-django keeps file order there).


def _delete_refused() -> bool:
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM compliance_auditevent")
    except DatabaseError:
        return True
    return False


@pytest.mark.django_db(transaction=True)
def test_transactional_test_records_committed_events():
    record_three()

    assert AuditEvent.objects.count() == 3  # committed; only flush can remove them


@pytest.mark.django_db(transaction=True)
def test_flush_after_previous_test_emptied_the_table_and_triggers_are_back():
    assert AuditEvent.objects.count() == 0
    record_three()
    assert _delete_refused()
    assert AuditEvent.objects.count() == 3


@pytest.mark.django_db(transaction=True)
def test_flush_command_empties_audit_table_and_restores_triggers():
    record_three()

    call_command("flush", interactive=False, verbosity=0)

    assert AuditEvent.objects.count() == 0
    record_three()
    assert _delete_refused()
