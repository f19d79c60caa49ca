"""typeset: one Markdown manuscript and one BibTeX file in; PDF, EPUB and DOCX out."""

from typeset.build import BuildResult, build
from typeset.config import Config, load_config
from typeset.errors import TypesetError

__all__ = ["BuildResult", "Config", "TypesetError", "build", "load_config"]
