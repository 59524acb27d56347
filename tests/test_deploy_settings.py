"""Production settings: `check --deploy` is clean, and they refuse to start without their secrets.

Each check runs `manage.py` in a subprocess with a minimal environment, so that neither the test
settings already loaded here nor CI's DATABASE_URL/REDIS_URL leak into what is being checked.
"""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 (fixed arguments, our own manage.py)
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _production_env(tmp_path: Path, **overrides: str) -> dict[str, str]:
    env = {name: os.environ[name] for name in ("PATH", "HOME", "LANG", "SYSTEMROOT") if name in os.environ}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        SECRET_KEY=secrets.token_urlsafe(45)[:60],
        PII_DIGEST_KEY=secrets.token_urlsafe(32),
        ALLOWED_HOSTS="example.com",
        DATABASE_URL=f"sqlite:///{tmp_path / 'deploycheck.sqlite3'}",
    )
    env.update(overrides)
    return env


def _dotenv_sets(name: str) -> bool:
    """base.py reads BASE_DIR/.env for variables the environment does not set."""
    dotenv = BASE_DIR / ".env"
    if not dotenv.exists():
        return False
    lines = dotenv.read_text(encoding="utf-8").splitlines()
    return any(line.strip().removeprefix("export ").lstrip().startswith(f"{name}=") for line in lines)


def test_production_settings_pass_check_deploy_with_no_warnings(tmp_path):
    env = _production_env(tmp_path)
    assert len(env["SECRET_KEY"]) == 60

    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=env)

    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "no issues" in output, output


@pytest.mark.parametrize("secret", ["SECRET_KEY", "PII_DIGEST_KEY"])
def test_production_settings_refuse_to_load_without_a_secret(tmp_path, secret):
    if _dotenv_sets(secret):
        pytest.skip(f"this checkout's .env sets {secret}, so the settings would read it from there")
    env = _production_env(tmp_path)
    del env[secret]

    result = _manage("check", env=env)

    assert result.returncode != 0
    assert secret in result.stderr, result.stderr
