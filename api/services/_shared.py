"""Helpers shared by the API services: the audited-refusal wrapper and the clock."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from django.db.models import Model
from django.utils import timezone

from common.errors import DomainError
from compliance import audit

P = ParamSpec("P")
R = TypeVar("R")


def now() -> dt.datetime:
    return timezone.now()


def refusals_audited(action: str, subject: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Record a refused action as `<action>.refused` (codes, who, on what) after its rollback."""

    def decorate(func: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(func)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return func(*args, **kwargs)
            except DomainError as error:
                obj: Any = kwargs.get(subject)
                audit.record(
                    actor=kwargs.get("actor"),
                    action=f"{action}.refused",
                    obj=obj if isinstance(obj, Model) and obj.pk else None,
                    object_type="" if isinstance(obj, Model) and obj.pk else f"api.{subject}",
                    data={"codes": error.codes},
                )
                raise

        return wrapper

    return decorate
