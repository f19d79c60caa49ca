"""The cite-this-work files: their paths, their contents, written together."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from typeset.citethis.page import cite_page_html, cite_text
from typeset.citethis.records import work_records
from typeset.citethis.work import CiteThisWork
from typeset.output import staged_outputs


def cite_this_work_paths(output_dir: Path, stem: str) -> dict[str, Path]:
    return {
        "html": output_dir / f"{stem}-cite.html",
        "text": output_dir / f"{stem}-cite.txt",
        "bibtex": output_dir / f"{stem}.bib",
        "ris": output_dir / f"{stem}.ris",
        "csl-json": output_dir / f"{stem}.json",
    }


def write_cite_this_work(
    work: CiteThisWork, output_dir: Path, stem: str, project_dir: Path
) -> list[Path]:
    """Write the cite page, the text version and the three records; return their paths.

    Every file is rendered first, then all are written to temporaries beside their
    destinations and renamed into place together, so a failure leaves earlier files as
    they were.
    """
    paths = cite_this_work_paths(output_dir, stem)
    contents = cite_this_work_files(work, stem, project_dir)
    write_together({paths[name]: text.encode() for name, text in contents.items()})
    return list(paths.values())


def cite_this_work_files(work: CiteThisWork, stem: str, project_dir: Path) -> dict[str, str]:
    """The cite page, the text version and the three records, by the kinds of
    `cite_this_work_paths`."""
    records = work_records(work.item)
    return {
        "html": cite_page_html(work, stem, project_dir, records),
        "text": cite_text(work),
        **records,
    }


def write_together(files: Mapping[Path, bytes]) -> None:
    """Write every file to a temporary beside it, then rename them all into place."""
    with staged_outputs({str(path): path for path in files}) as staged:
        for path, data in files.items():
            staged[str(path)].write_bytes(data)
