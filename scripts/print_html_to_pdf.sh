#!/usr/bin/env bash
# Regenerate tests/fixtures/corpus_pdf/printed/007.pdf: the corpus HTML report printed to PDF
# by headless Chromium, as a browser user saving the page would (ruled tables, labels wrapped
# over lines, tables crossing pages). Not run by the tests; the PDF is committed.
# Needs Debian's `chromium` and `fonts-wqy-microhei` (without a CJK font the text layer is
# `(cid:0)` glyphs only).
#   scripts/print_html_to_pdf.sh [source.html] [out.pdf]
set -euo pipefail
cd "$(dirname "$0")/.."
src="${1:-tests/fixtures/corpus/html/007.html}"
out="${2:-tests/fixtures/corpus_pdf/printed/007.pdf}"
fc-list | grep -qi "wqy" || { echo "fonts-wqy-microhei is not installed: the PDF would have no CJK text" >&2; exit 1; }
mkdir -p "$(dirname "$out")"
profile="$(mktemp -d)"
trap 'rm -rf "$profile"' EXIT
timeout 120 chromium --headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking \
  --user-data-dir="$profile" --print-to-pdf="$out" "file://$PWD/$src"
echo "wrote $out"
