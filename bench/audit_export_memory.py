"""Peak Python memory of an audit export as the chain grows: constant if the export streams.

    DATABASE_URL=postgres://... .venv/bin/python bench/audit_export_memory.py --events 1000000 --i-know

It APPENDS synthetic events (`bench.event`) to the audit chain of the configured database (the chain
is append-only: they stay), so run it on a scratch database only. It then exports JSON Lines to a
temporary file with the export job's writer and reports, for each size, the tracemalloc peak; the
peak should not grow with the number of events. The measured numbers belong in the benchmark issue.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=100_000, help="events in the chain at the end")
    parser.add_argument("--steps", type=int, default=4, help="measure at this many sizes")
    parser.add_argument("--i-know", action="store_true", help="yes, append synthetic events to this database")
    args = parser.parse_args()
    if not args.i_know:
        parser.error("this appends events to the configured database's audit chain: pass --i-know")

    import django

    django.setup()
    from compliance import audit, exports, search
    from compliance.models import AuditEvent

    print(f"{'events':>10} {'peak MiB':>9} {'seconds':>8}")
    for step in range(1, args.steps + 1):
        target = args.events * step // args.steps
        missing = target - AuditEvent.objects.filter(action="bench.event").count()
        if missing > 0:
            audit.record_many(
                audit.EventSpec(
                    "bench.event", object_type="bench", object_id=str(i), data={"i": i, "名": "测试"}
                )
                for i in range(missing)
            )
        head_seq, _ = exports.head()
        tracemalloc.start()
        started = time.monotonic()
        with tempfile.TemporaryFile() as tmp:
            writer = exports.JsonlWriter(tmp)
            for event in exports.events_of(search.AuditFilter(action="bench."), head_seq=head_seq):
                writer.add(event)
            writer.finish()
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(f"{target:>10} {peak / 2**20:>9.1f} {time.monotonic() - started:>8.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
