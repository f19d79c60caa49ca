"""What the command line runs, one module per command; the stages they share live beside
this package (inputs.py, crossref/, citations/, formats/, output.py...).

build.py (`typeset paper.md`: the stages top to bottom), check.py (`--check`, the release
gate), preview.py (`--preview-styles`), crosscheck.py (`--cross-check`), watch.py
(`--watch`), submissions.py (`--profile a,b`, `--all-profiles`), new/ (`typeset new`, with
the files of a new project). typeset/cli.py turns arguments into a Config and calls them.

Nothing is imported here: the command line's up-to-date check must stay quick.
"""
