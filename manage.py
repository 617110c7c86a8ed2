#!/usr/bin/env python
"""Django's command-line utility for the lab (serve, postgres, seed, bench, ...)."""
import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.core.management import execute_from_command_line

    from groundwork.database import DatabaseUrlError

    try:
        execute_from_command_line(sys.argv)
    except DatabaseUrlError as exc:  # raised while settings load, before any command can say it
        sys.exit(f"error: {exc}")


if __name__ == "__main__":
    main()
