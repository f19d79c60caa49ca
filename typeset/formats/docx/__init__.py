"""The DOCX writer and what it alone needs.

writer.py (pandoc's DOCX styled by a reference document), reference.py (the reference
document sealed: no external relationships), accessibility.py (Word's accessibility
checks: the title completed, the `--check` audit).
"""
