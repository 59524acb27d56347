"""The layering of docs/architecture.md, enforced: an app imports only from its own layer's lower layers.

Every module of every app except migrations is parsed (nothing is imported, so no import order or
settings matter) and every `import`/`from ... import` in it is checked, including those inside
functions and `if TYPE_CHECKING:` blocks: an import inside a function is still a dependency.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Lowest first. An app may import its own modules and those of any app in a LOWER layer; apps in the
# same layer are independent of each other. docs/architecture.md says what each app owns.
LAYERS: list[set[str]] = [
    {"common"},
    {"compliance"},  # never imports a stage app: it gets what it needs through compliance/registry.py
    {"accounts"},
    {"cases"},
    {"visits"},  # a stage app
    {"agreements"},  # a stage app; an agreement is made at a visit, so it may use visits (not the reverse)
    {"supervision", "api"},
    {"config"},
]
APPS = {app for layer in LAYERS for app in layer}

# (importing module, imported module): deliberate breaks of the layering, each with its reason.
# Empty today; an entry needs a comment and a line in docs/architecture.md.
EXCEPTIONS: set[tuple[str, str]] = set()


def _layer(app: str) -> int:
    return next(i for i, layer in enumerate(LAYERS) if app in layer)


def _modules() -> list[Path]:
    return sorted(
        path for app in sorted(APPS) for path in (ROOT / app).rglob("*.py") if "migrations" not in path.parts
    )


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in the file, relative ones resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = _module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                found.append((node.lineno, ".".join([*base, node.module] if node.module else base)))
            else:
                found.append((node.lineno, node.module or ""))
    return found


def violations() -> list[str]:
    problems = []
    for path in _modules():
        importer = _module_name(path)
        app = importer.split(".")[0]
        for line, imported in _imports(path):
            target = imported.split(".")[0]
            if target not in APPS or target == app or (importer, imported) in EXCEPTIONS:
                continue
            if _layer(target) >= _layer(app):
                problems.append(
                    f"{path.relative_to(ROOT)}:{line}: {app} (layer {_layer(app)}) imports {imported} "
                    f"(layer {_layer(target)})"
                )
    return problems


def test_every_app_is_in_a_layer():
    """A new app must be placed in LAYERS (and described in docs/architecture.md) before it is used."""
    packages = {p.parent.name for p in ROOT.glob("*/apps.py") if (p.parent / "__init__.py").exists()} | {
        "config"
    }
    assert packages == APPS


def test_imports_follow_the_layers():
    problems = violations()
    assert not problems, "imports against docs/architecture.md:\n" + "\n".join(problems)


def test_exceptions_are_still_needed():
    """An exception whose import is gone must be removed from EXCEPTIONS."""
    present = {(_module_name(path), imported) for path in _modules() for _, imported in _imports(path)}
    assert EXCEPTIONS.issubset(present)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from compliance import audit\n", True),  # common -> compliance: upwards
        ("def f():\n    from cases.policies import can_view\n", True),  # inside a function too
        ("from .errors import DomainError\n", False),  # its own app
        ("import django.db\n", False),  # not an app of ours
    ],
)
def test_the_checker_sees_upward_imports(tmp_path, monkeypatch, source, expected):
    """The checker itself: an upward import from `common`, even inside a function, is reported."""
    (tmp_path / "common").mkdir()
    (tmp_path / "common" / "probe.py").write_text(source)
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    assert bool(violations()) is expected
