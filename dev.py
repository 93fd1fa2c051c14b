#!/usr/bin/env python3
"""One command for each everyday job, on a machine that has only Python 3.11+.

    python3 dev.py demo     install into .venv if needed, then prepare and serve the demo
    python3 dev.py test     install into .venv if needed, then lint and run the whole test suite
    python3 dev.py install  only (re)install into .venv

Extra arguments go to the underlying command (``python3 dev.py test -k tenancy``).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".installed"


def run(*args: str | Path) -> None:
    completed = subprocess.run([str(a) for a in args], cwd=ROOT)
    if completed.returncode:
        sys.exit(completed.returncode)


def install() -> None:
    """Create .venv and install the project with its test tools, again only when pyproject.toml changed."""
    if sys.version_info < (3, 11):  # noqa: UP036 -- this script runs under whatever python3 the machine has
        sys.exit("Mutualise demande Python 3.11 ou plus récent.")
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == digest:
        return
    if not (BIN / "python").exists():
        print("Création de l'environnement .venv…", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    print("Installation des dépendances…", flush=True)
    run(BIN / "python", "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    run(BIN / "python", "-m", "pip", "install", "--quiet", "-e", ".[test]")
    STAMP.write_text(digest)


def main(argv: list[str]) -> None:
    command, extra = (argv[0], argv[1:]) if argv else ("", [])
    if command not in {"demo", "test", "install"}:
        sys.exit(__doc__)
    install()
    if command == "demo":
        os.execv(BIN / "mutualise", [str(BIN / "mutualise"), "demo", *extra])
    elif command == "test":
        run(BIN / "ruff", "check", ".")
        run(BIN / "ruff", "format", "--check", ".")
        run(BIN / "python", "-m", "pytest", *extra)


if __name__ == "__main__":
    main(sys.argv[1:])
