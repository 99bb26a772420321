#!/usr/bin/env bash
# Regenerate the Chromium-printed PDF fixtures: the corpus HTML report printed to PDF by headless
# Chromium, as a browser user saving the page would (default print header and footer, ruled
# tables, labels wrapped over lines, tables crossing pages). Not run by the tests; the PDFs are
# committed. Needs Debian's `chromium` and `fonts-wqy-microhei` (without a CJK font the text
# layer is `(cid:0)` glyphs only).
#   scripts/print_html_to_pdf.sh                      # both fixtures below
#   scripts/print_html_to_pdf.sh SRC.html OUT.pdf [--unruled]
# --unruled prints the tables without borders (CSS injected into a copy): an unruled table,
# read from word positions alone.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -eq 0 ]; then
  "$0" tests/fixtures/corpus/html/007.html tests/fixtures/corpus_pdf/printed/007.pdf
  "$0" tests/fixtures/corpus/html/007.html tests/fixtures/corpus_pdf/printed/007_unruled.pdf --unruled
  exit 0
fi
src="$1"
out="$2"
fc-list | grep -qi "wqy" || { echo "fonts-wqy-microhei is not installed: the PDF would have no CJK text" >&2; exit 1; }
mkdir -p "$(dirname "$out")"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
if [ "${3:-}" = "--unruled" ]; then
  python3 - "$src" "$work/page.html" <<'PY'
import sys
page = open(sys.argv[1], "rb").read()
css = b"<style>table,tr,td,th{border:none !important;border-width:0 !important}</style>"
at = page.lower().find(b"</head>")
open(sys.argv[2], "wb").write(page[:at] + css + page[at:])
PY
  src="$work/page.html"
fi
timeout 120 chromium --headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking \
  --user-data-dir="$work/profile" --print-to-pdf="$(realpath "$out")" "file://$(realpath "$src")"
[ -s "$out" ] || { echo "chromium wrote no PDF to $out" >&2; exit 1; }
echo "wrote $out"
