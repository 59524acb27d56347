"""Reads of the API app beyond the stage apps' selectors: a case's stage history."""

from __future__ import annotations

from typing import Any

from cases.models import Case


def stage_history(case: Case) -> list[dict[str, Any]]:
    """Each stage the case entered, oldest first, from its history rows (one query)."""
    entries: list[dict[str, Any]] = []
    for stage, at in case.history.order_by("history_id").values_list("stage", "history_date"):
        if not entries or entries[-1]["stage"] != stage:
            entries.append({"stage": stage, "at": at})
    return entries
