"""The EPUB 3 writer and what it alone needs.

writer.py (pandoc's EPUB from the resolved document, metadata completed), cover.py (the
cover drawn when none is given), accessibility.py (the package's accessibility claims,
surveyed from the content), package.py (pandoc's package finished: note back-links,
labels, a reproducible archive).
"""
