#!/usr/bin/env bash
# Regenerate tests/fixtures/corpus_office/: the corpus page html/007.html converted by
# LibreOffice headless to Word 97–2003 (.doc), Excel 97–2003 (.xls) and Excel 2007+ (.xlsx),
# as an office user saving the page would. Not run by the tests; the files are committed.
# The gold files beside them are html/007.gold.json with `file` pointing at each copy.
# Needs Debian's libreoffice-writer-nogui and libreoffice-calc-nogui.
set -euo pipefail
cd "$(dirname "$0")/.."
src=tests/fixtures/corpus/html/007.html
out=tests/fixtures/corpus_office
profile="$(mktemp -d)"
trap 'rm -rf "$profile"' EXIT
lo() { timeout 180 soffice --headless --norestore "-env:UserInstallation=file://$profile" "$@"; }
lo --convert-to "doc:MS Word 97" --outdir "$out" "$src"
lo --infilter="HTML (StarCalc)" --convert-to "xls:MS Excel 97" --outdir "$out" "$src"
lo --infilter="HTML (StarCalc)" --convert-to "xlsx:Calc MS Excel 2007 XML" --outdir "$out" "$src"
for ext in doc xls xlsx; do
  python3 - "$ext" <<'PY'
import json, sys
ext = sys.argv[1]
gold = json.load(open("tests/fixtures/corpus/html/007.gold.json", encoding="utf-8"))
gold["file"] = f"007.{ext}"
with open(f"tests/fixtures/corpus_office/007.{ext}.gold.json", "w", encoding="utf-8") as fh:
    json.dump(gold, fh, ensure_ascii=False, indent=1)
PY
done
echo "wrote $out/007.{doc,xls,xlsx} and their gold"
