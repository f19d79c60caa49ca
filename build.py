#!/usr/bin/env python3
"""Build the manuscript into PDF, EPUB and DOCX. `python build.py --help` for options."""

import sys
from pathlib import Path

from typeset.cli import main

if __name__ == "__main__":
    sys.exit(main(project_dir=Path(__file__).resolve().parent))
