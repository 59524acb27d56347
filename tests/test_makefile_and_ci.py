"""The install and CI plumbing stays consistent: pins cover the declared dependencies, the Makefile
keeps the targets the README promises, and .ci/run stays a strict, valid bash script."""

import os
import re
import shutil
import subprocess
import tomllib
from importlib import metadata
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pins() -> dict[str, str]:
    pins = {}
    for raw in (BASE_DIR / "constraints.txt").read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        pin = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;]+)", line)
        assert pin, f"not an exact pin: {raw!r}"
        pins[_normalize(pin[1])] = pin[2]
    return pins


def _declared() -> set[str]:
    project = tomllib.loads((BASE_DIR / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    requirements = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        requirements += extra
    return {_normalize(re.split(r"[\s\[<>=!~;]", requirement, maxsplit=1)[0]) for requirement in requirements}


def test_constraints_pin_every_declared_dependency_exactly():
    pins = _pins()

    unpinned = sorted(_declared() - pins.keys())

    assert not unpinned, f"add to constraints.txt (make constraints): {unpinned}"
    assert not {"pip", "setuptools", "wheel"} & pins.keys()


def test_installed_versions_match_the_pins():
    """A venv built with `pip install -c constraints.txt` holds exactly the pinned versions."""
    mismatched = {}
    for name, pinned in _pins().items():
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue  # platform-specific or not installed here; the install step decides
        if installed != pinned:
            mismatched[name] = (pinned, installed)

    assert not mismatched, f"(pinned, installed) differ; run make install or make constraints: {mismatched}"


def test_makefile_has_the_targets_the_readme_promises():
    targets = set(re.findall(r"^([a-z][\w-]*):", (BASE_DIR / "Makefile").read_text(encoding="utf-8"), re.M))

    assert {"install", "run", "test", "lint", "worker", "beat", "diagram"} <= targets


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_ci_script_is_strict_executable_bash():
    script = BASE_DIR / ".ci" / "run"
    text = script.read_text(encoding="utf-8")

    assert os.access(script, os.X_OK)
    assert text.startswith("#!/usr/bin/env bash\n")
    assert "set -euo pipefail" in text
    syntax = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True, check=False)  # noqa: S603, S607
    assert syntax.returncode == 0, syntax.stderr
