#!/usr/bin/env python
"""Django's usual entry point; the installed ``mutualise`` command does the same."""

from mutualise.cli import main

if __name__ == "__main__":
    main()
