"""The names typeset uses in more than one module: a project's files and folders, the
paper sizes and PDF variants, the environment variables it reads.

This module imports nothing. The command line's fast path (typeset/project.py,
typeset/uptodate.py, typeset/cache.py) and the heavy writers both take their names from
here, so a light module never keeps its own copy of a heavy one's fact.
"""

from __future__ import annotations

# --- a project's files and folders (typeset/project.py finds the project) ------------------

CONFIG_NAME = "typeset.yaml"
# A project's own styles (CSL files, print.css, reference .docx files), which override
# the shipped ones file by file; the shipped folder has the same name (typeset/resources.py).
STYLES_FOLDER = "styles"
# Where the outputs go unless `output_dir` says otherwise.
OUTPUT_FOLDER = "output"
# The build cache and the up-to-date stamps (typeset/cache.py), safe to delete.
CACHE_FOLDER = ".typeset-cache"

# --- what the PDF can be -----------------------------------------------------------------------

# The `paper` option's values -> the CSS page size WeasyPrint is given.
PAPER_SIZES = {"a4": "A4", "letter": "letter"}
# The `pdf_variant` option's values (typeset/formats/pdf.py says what each asks of WeasyPrint).
PDF_VARIANTS = ("pdf/ua-1", "pdf/a-2b", "pdf/a-3u", "tagged", "plain")

# --- environment variables ---------------------------------------------------------------------

# Moves the cache (and the up-to-date stamps) elsewhere: a shared CI cache, or a benchmark
# that must start cold.
CACHE_DIR_VARIABLE = "TYPESET_CACHE_DIR"
# The key cache entries are sealed with; a shared CI cache sets the same one on every runner.
CACHE_SECRET_VARIABLE = "TYPESET_CACHE_SECRET"
# A file every build stage appends its timing to (typeset/timings.py).
TIMINGS_VARIABLE = "TYPESET_TIMINGS"
# "0" sets every PDF in one pass instead of in parts on every core (the tests compare both).
PDF_SPLIT_VARIABLE = "TYPESET_PDF_SPLIT"
# The per-user folder `typeset setup` installs the Node.js tools into.
NODE_DIR_VARIABLE = "TYPESET_NODE_DIR"
# The reproducible-builds date (https://reproducible-builds.org/specs/source-date-epoch/):
# the dates printed and stored in the outputs, and part of every cache key.
SOURCE_DATE_EPOCH_VARIABLE = "SOURCE_DATE_EPOCH"
