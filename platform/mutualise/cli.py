"""The ``mutualise`` command: Django's management commands, with the project's settings."""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    """Run a management command (``mutualise demo``, ``mutualise init --epci …``, ``mutualise migrate``…)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mutualise.settings")
    from django.core.management import execute_from_command_line

    argv = list(sys.argv if argv is None else argv)
    argv[0] = "mutualise"
    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
