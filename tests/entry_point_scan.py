"""Finds, by reading the source, the services that contact a debtor or move a case's stage, and the
entry points (URLs, API endpoints, management commands, beat tasks) that call them. Used by
tests/test_entry_points.py against the registry in config/entry_points.py."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.core.management import get_commands, load_command_class
from django.urls import URLPattern, URLResolver, get_resolver

from cases.models import Case

SERVICE_PACKAGES = ("cases.services", "visits.services", "agreements.services", "api.services")
STAGE_MOVE = {"case_stage_move", "case_can_move"}  # the one stage move (cases/services/stage.py)
GATE = {"contact_gate", "contact_evaluate", "contact_preview"}  # the gate itself (visits/services/gate.py)
PROJECT_APPS = ("accounts", "api", "cases", "compliance", "visits", "agreements", "supervision", "common")


def _modules(package: str) -> Iterator[Any]:
    root = importlib.import_module(package)
    yield root
    for info in pkgutil.iter_modules(root.__path__):
        yield importlib.import_module(f"{package}.{info.name}")


def _body(func: Any) -> str:
    """The source without its `def` line (a view may share its service's name)."""
    try:
        source = inspect.getsource(func)
    except (OSError, TypeError):
        return ""
    return re.sub(r"^\s*(async\s+)?def\s+\w+\(", "", source, count=1)


def _strict_calls(source: str, names: set[str]) -> set[str]:
    return {n for n in names if re.search(rf"(?<![\w]){re.escape(n)}\(", source)}


def _calls(source: str, names: set[str]) -> set[str]:
    """The names the source refers to (a call, or a service chosen then called: `services.x if ...`)."""
    return {n for n in names if re.search(rf"(?<![\w]){re.escape(n)}(?![\w])", source)}


def case_transitions() -> set[str]:
    return {t.name for t in Case._meta.get_field("stage").get_all_transitions(Case)}


def acting_services() -> dict[str, set[str]]:
    """Public service name -> what it does ({"contact"}, {"stage"} or both), followed through the
    services' own helpers and calls of each other."""
    functions: dict[str, Any] = {}
    for package in SERVICE_PACKAGES:
        for module in _modules(package):
            for name, func in inspect.getmembers(module, inspect.isfunction):
                if func.__module__.startswith(package):
                    functions.setdefault(name, func)
    bodies = {name: _body(func) for name, func in functions.items()}
    moves = re.compile(r"\bcase\.(" + "|".join(sorted(case_transitions())) + r")\(")
    acting: dict[str, set[str]] = {}
    for name, body in bodies.items():
        kinds = set()
        if ("contact_gate(" in body or "contact_evaluate(" in body) and name not in GATE:
            kinds.add("contact")
        if (moves.search(body) or "case_stage_move(" in body) and name not in STAGE_MOVE:
            kinds.add("stage")
        if kinds:
            acting[name] = kinds
    changed = True
    while changed:
        changed = False
        for name, body in bodies.items():
            for callee in _strict_calls(body, set(acting) - {name}):
                before = acting.get(name, set())
                after = before | acting[callee]
                if after != before:
                    acting[name] = after
                    changed = True
    return {n: k for n, k in acting.items() if not n.startswith("_")}


def _patterns(resolver: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            namespace = f"{prefix}{entry.namespace}:" if entry.namespace else prefix
            yield from _patterns(entry, namespace)
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{prefix}{entry.name}", entry.callback


def _with_helpers(source: str, module: Any) -> str:
    """The source and that of the functions of its module it refers to (one level: a view's helper)."""
    helpers = [
        _body(func)
        for name, func in inspect.getmembers(module, inspect.isfunction)
        if func.__module__ == module.__name__ and re.search(rf"(?<![\w]){name}\(", source)
    ]
    return "\n".join([source, *helpers])


def _view_source(callback: Any) -> str:
    for attr in ("view_class", "cls"):  # class-based views and DRF viewsets
        if hasattr(callback, attr):
            view = getattr(callback, attr)
            return _with_helpers(inspect.getsource(view), inspect.getmodule(view))
    func = inspect.unwrap(callback)
    return _with_helpers(_body(func), inspect.getmodule(func))


def entry_points() -> dict[str, str]:
    """Entry point id -> its source: every named URL, every project command, every beat task."""
    found: dict[str, str] = {}
    for name, callback in _patterns(get_resolver()):
        if name.startswith("admin:"):
            continue  # the Django admin is read-only for workflow models (no service is called)
        found[f"url:{name}"] = found.get(f"url:{name}", "") + _view_source(callback)
    for command, app in get_commands().items():
        if app in PROJECT_APPS:
            found[f"command:{command}"] = inspect.getsource(type(load_command_class(app, command)))
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        module, _, name = entry["task"].rpartition(".")
        task = importlib.import_module(module)
        found[f"beat:{entry['task']}"] = _with_helpers(_body(getattr(task, name)), task)
    return found


def entry_point_actions(services: set[str]) -> dict[str, set[str]]:
    """Entry point id -> the acting services its source calls (only those that call one)."""
    return {ep: called for ep, source in entry_points().items() if (called := _calls(source, services))}
