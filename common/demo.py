"""Demo data beyond the cases: each stage app registers a step that `seed_demo` runs after the cases.

A step receives the demo people (by username), the demo creditor and a writer for progress lines; it
goes through the app's own services, like real work, so its records carry history and audit events.
The cases app knows nothing of the later stages: they add themselves here in their AppConfig.ready().
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

DemoStep = Callable[..., str]


@dataclass(frozen=True)
class _Step:
    order: int
    name: str
    run: DemoStep


_STEPS: dict[str, _Step] = {}


def register(name: str, run: DemoStep, *, order: int) -> None:
    """Add (or replace) a demo step; steps run by `order`. `run(people=, creditor=)` returns a summary."""
    _STEPS[name] = _Step(order, name, run)


def steps() -> list[_Step]:
    return sorted(_STEPS.values(), key=lambda s: (s.order, s.name))


def run_all(*, people: dict[str, Any], creditor: Any, write: Callable[[str], None]) -> None:
    for step in steps():
        write(f"{step.name}: {step.run(people=people, creditor=creditor)}")
