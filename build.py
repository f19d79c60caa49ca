#!/usr/bin/env python3
"""Build this project's manuscript into PDF, EPUB and DOCX: the `typeset` command, with
this folder as the project. `python build.py --help` for options."""

from pathlib import Path

from typeset.cli import run

if __name__ == "__main__":
    run(project_dir=Path(__file__).resolve().parent)
