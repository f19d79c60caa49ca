"""The self-contained HTML pages (cite this work, style preview): templates and assets
from the project's styles/ folder, rendered by Jinja2 with autoescaping.

A value is escaped unless it is passed as `Markup` (HTML the caller built from escaped
parts, or a stylesheet or script from styles/).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from typeset.errors import OutputError
from typeset.resources import style_file

__all__ = ["Markup", "read_page_asset", "render_page"]


def read_page_asset(project_dir: Path, name: str) -> str:
    """A page template, stylesheet or script: the project's styles/NAME, else the shipped."""
    path = style_file(project_dir, name)
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise OutputError(
            "page template missing",
            path=path,
            hint="reinstall typeset, or restore it from the typeset repository (styles/)",
        ) from None


def render_page(project_dir: Path, template_name: str, **values: Any) -> str:
    """styles/`template_name` with `values` filled in; an unknown name is an error."""
    environment = jinja2.Environment(
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    template = environment.from_string(read_page_asset(project_dir, template_name))
    try:
        return template.render(**values)
    except jinja2.UndefinedError as error:
        raise OutputError(
            f"page template has an unknown placeholder: {error.message}",
            path=style_file(project_dir, template_name),
        ) from None
