"""The PDF stage: the resolved document as print HTML, laid out by WeasyPrint, then checked.

Read in build order:

- `writer`: `PdfWriter`, the format's registry entry; page setup and the URL fence.
- `html`: the print HTML WeasyPrint lays out (`render_print_html`), built from
  `typography` (where lines may break), `notes` (notes as page footnotes) and `math`
  (equations as SVG drawn by MathJax, flattened by `flat_svg`).
- `parallel`: a book laid out in parts on every core and joined.
- `metadata`: what the PDF says about itself (title, authors, language, dates).
- `line_numbers`: numbers in the margin of a review copy.
- `structure`, `audit`, `preflight`: reading the written PDF back: its tag tree, the PDF/UA
  audit and the typographic preflight of `--check`.
- `weasyprint`: everything that depends on WeasyPrint's internals or on the exact shape of
  what it writes, behind one fence, with one table of patches and one `install()`.

Importing this package imports nothing heavy: `--check` reads PDFs through `structure`
and `audit` without loading WeasyPrint.
"""
