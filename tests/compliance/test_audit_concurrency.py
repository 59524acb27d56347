"""Concurrent writers never fork or gap the chain (PostgreSQL: appends serialized by an advisory lock).

SQLite serializes writers with its database lock (IMMEDIATE transactions), and the in-memory test
database cannot be shared between threads, so these tests run on PostgreSQL only.
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection, transaction

from compliance import audit
from compliance.models import AuditEvent

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="concurrent appends need PostgreSQL (set DATABASE_URL); SQLite's in-memory test "
        "database is not shared between threads",
    ),
]

THREADS = 8
APPENDS = 25


def assert_chain_intact(expected: int) -> None:
    events = list(AuditEvent.objects.order_by("seq"))
    assert len(events) == expected
    assert [e.seq for e in events] == list(range(1, expected + 1))
    assert events[0].prev_hash == audit.GENESIS_HASH
    for previous, event in itertools.pairwise(events):
        assert event.prev_hash == previous.hash
    result = audit.verify_chain()
    assert (result.ok, result.count, result.head_hash) == (True, expected, events[-1].hash)


@pytest.mark.django_db(transaction=True)
def test_threads_appending_concurrently_keep_the_chain_gapless():
    start = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            start.wait(timeout=30)  # all threads begin together, to make the race real
            for i in range(APPENDS):
                with transaction.atomic():  # one transaction per append, like a service call
                    audit.record(
                        actor=None,
                        action="test.concurrent",
                        object_type="test.thread",
                        object_id=str(n),
                        data={"thread": n, "i": i},
                    )
        except BaseException as error:  # reported by the main thread
            errors.append(error)
        finally:
            connection.close()  # each thread has its own connection

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert not errors
    assert not any(t.is_alive() for t in threads)
    assert_chain_intact(THREADS * APPENDS)
    per_thread = {n: AuditEvent.objects.filter(object_id=str(n)).count() for n in range(THREADS)}
    assert per_thread == dict.fromkeys(range(THREADS), APPENDS)


CHILD = """
import sys
import django
django.setup()
from django.db import transaction
from compliance import audit
for i in range(int(sys.argv[2])):
    with transaction.atomic():
        audit.record(actor=None, action="test.process", object_type="test.process",
                     object_id=sys.argv[1], data={"i": i})
"""


@pytest.mark.django_db(transaction=True)
def test_processes_appending_concurrently_keep_the_chain_gapless():
    db = settings.DATABASES["default"]
    auth = quote(db["USER"] or "", safe="") + (":" + quote(db["PASSWORD"], safe="") if db["PASSWORD"] else "")
    # The children write into this test's database, not the one DATABASE_URL names.
    url = f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    root = Path(settings.BASE_DIR)
    processes = [
        subprocess.Popen(  # noqa: S603  (our own interpreter and code)
            [sys.executable, "-c", CHILD, str(n), str(APPENDS)],
            cwd=root,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for n in range(4)
    ]
    outputs = [p.communicate(timeout=120) for p in processes]

    assert [p.returncode for p in processes] == [0] * 4, outputs
    assert_chain_intact(4 * APPENDS)
