"""`python -m typeset`: the same command as the installed `typeset`."""

from typeset.cli import run

if __name__ == "__main__":
    run()
