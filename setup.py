"""The one step pyproject.toml cannot declare: the wheel carries the npm manifest and lock
file (as typeset/_node/), so a pip-installed typeset installs exactly the locked MathJax
and DAISY Ace (typeset/node_tools.py). Everything else is in pyproject.toml."""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

NODE_FILES = ("package.json", "package-lock.json")


class BuildWithNodeLock(build_py):  # type: ignore[misc]
    def run(self) -> None:
        super().run()
        target = Path(self.build_lib) / "typeset" / "_node"
        target.mkdir(parents=True, exist_ok=True)
        for name in NODE_FILES:
            shutil.copyfile(Path(__file__).parent / name, target / name)


setup(cmdclass={"build_py": BuildWithNodeLock})
