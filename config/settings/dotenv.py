"""Development only (imported first by local.py): `.env` at the top of the repository fills the
variables the process environment does not set. Test and production settings never read it.
"""

from pathlib import Path

import environ

DOTENV = Path(__file__).resolve().parent.parent.parent / ".env"

if DOTENV.exists():
    environ.Env.read_env(str(DOTENV))
