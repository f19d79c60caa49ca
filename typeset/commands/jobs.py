"""Many titles, one job each: the (project, profile) pairs a press builds, for a job engine.

`typeset jobs DIR...` finds every project (a folder holding a typeset.yaml) at or below
each DIR and lists one job per profile the project defines (one job for a project without
profiles): each job is one `typeset --config P/typeset.yaml --profile NAME`. The list
feeds an engine that already exists (a GitHub Actions matrix, `xargs -P`, GNU parallel)
instead of a scheduler of our own; the jobs share the content-addressed cache
(typeset/cache.py), whose entries are written whole or not at all.

Every job's config is loaded here, so a broken typeset.yaml fails the listing (one
error naming its file and line) rather than one job in hundreds, and two jobs that would
write the same files are refused up front, as `--all-profiles` refuses them.
"""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from typeset.config import load_config, profile_names
from typeset.errors import UsageError
from typeset.names import CONFIG_NAME

# GitHub Actions runs at most 256 jobs from one matrix.
GITHUB_MATRIX_LIMIT = 256
# Folders never searched for projects: tools' and version control's own.
SKIPPED_FOLDERS = frozenset({"node_modules", "__pycache__"})


@dataclass(frozen=True)
class Job:
    """One build: a project's config with one of its profiles (None: the config alone)."""

    project: Path
    config: Path
    profile: str | None

    def arguments(self) -> list[str]:
        """The `typeset` arguments that run this job."""
        profile = ["--profile", self.profile] if self.profile is not None else []
        return ["--config", str(self.config), *profile]

    @property
    def name(self) -> str:
        """A name made of letters, digits, '.', '_' and '-' (an artifact's, a CI job's)."""
        words = [*self.project.parts, *([self.profile] if self.profile else [])]
        slug = "-".join(re.sub(r"[^A-Za-z0-9._-]+", "_", word) for word in words if word != ".")
        return slug.strip("-_") or "project"


def find_jobs(folders: Sequence[Path], *, profiles: Sequence[str] = ()) -> list[Job]:
    """Every job of the projects at or below `folders`, in path order, each project's
    profiles in its file's order; only the `profiles` named, if any."""
    configs = dict.fromkeys(config for folder in folders for config in _configs_below(folder))
    jobs: list[Job] = []
    for config in configs:
        defined = profile_names(config)
        if profiles:
            chosen: list[str | None] = [name for name in defined if name in profiles]
        else:
            chosen = [*defined] or [None]
        jobs.extend(Job(config.parent, config, name) for name in chosen)
    unknown = [name for name in profiles if not any(job.profile == name for job in jobs)]
    if unknown:
        raise UsageError(
            f"no project defines the profile {unknown[0]!r}",
            hint="check the name against the 'profiles:' of the projects' typeset.yaml",
        )
    _refuse_shared_destinations(jobs)
    return jobs


def _configs_below(folder: Path) -> list[Path]:
    """The typeset.yaml files at or below `folder`, sorted; an error if there is none."""
    if folder.is_file() and folder.name == CONFIG_NAME:
        return [folder]
    if not folder.is_dir():
        raise UsageError(
            f"not a folder: {folder}", hint=f"name folders that hold projects ({CONFIG_NAME})"
        )
    found = []
    for root, subfolders, files in os.walk(folder):
        # Hidden folders (.git, the build cache) and tools' folders hold no titles.
        subfolders[:] = sorted(
            name for name in subfolders if not name.startswith(".") and name not in SKIPPED_FOLDERS
        )
        if CONFIG_NAME in files:
            found.append(Path(root) / CONFIG_NAME)
    if not found:
        raise UsageError(
            f"no {CONFIG_NAME} in {folder} or any folder below it",
            hint=f"a project is a folder with a {CONFIG_NAME} (`typeset new DIR` makes one)",
        )
    return sorted(found)


def _refuse_shared_destinations(jobs: Sequence[Job]) -> None:
    """Two jobs writing the same files would race when they run at once: refuse."""
    writers: dict[tuple[Path, str], Job] = {}
    for job in jobs:
        config = load_config(job.config, profile=job.profile, project_dir=job.project)
        destination = (config.output_dir.resolve(), config.manuscript.stem)
        other = writers.setdefault(destination, job)
        if other is not job:
            raise UsageError(
                f"profiles {other.profile!r} and {job.profile!r} would both write "
                f"{config.manuscript.stem}.* in {config.output_dir}",
                path=job.config,
                hint="give each profile its own 'output_dir' in the config",
            )


def shard(jobs: Sequence[Job], index: int, count: int) -> list[Job]:
    """Shard `index` of `count` (from 1): every count-th job, so shards are alike."""
    if not 1 <= index <= count:
        raise UsageError(f"shard {index}/{count}: the shard must be from 1 to {count}")
    return list(jobs[index - 1 :: count])


def github_matrix(jobs: Sequence[Job]) -> dict[str, Any]:
    """A GitHub Actions matrix (`strategy.matrix: ${{ fromJSON(...) }}`), a job an entry."""
    if len(jobs) > GITHUB_MATRIX_LIMIT:
        raise UsageError(
            f"{len(jobs)} jobs: a GitHub Actions matrix runs at most {GITHUB_MATRIX_LIMIT}",
            hint=f"list them in shards (--shard 1/{-(-len(jobs) // GITHUB_MATRIX_LIMIT)}, "
            "--shard 2/..., each the matrix of its own job)",
        )
    names: dict[str, int] = {}
    include = []
    for job in jobs:
        name = job.name
        names[name] = names.get(name, 0) + 1
        include.append(
            {
                "project": str(job.project),
                "config": str(job.config),
                "profile": job.profile or "",
                # unique: CI artifact names must be
                "name": name if names[name] == 1 else f"{name}-{names[name]}",
            }
        )
    return {"include": include}


def command_lines(jobs: Sequence[Job], command: Sequence[str]) -> list[str]:
    """One shell command per job, quoted for `sh -c` (xargs, GNU parallel)."""
    lines = []
    for job in jobs:
        if "\n" in str(job.config):
            raise UsageError(
                "a project's path holds a line break: it cannot be one line of a list",
                path=job.config,
                hint="rename the folder, or use the GitHub matrix (--format github)",
            )
        lines.append(shlex.join([*command, *job.arguments()]))
    return lines
