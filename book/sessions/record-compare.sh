#!/usr/bin/env bash
# Records the closing chapter's report (run as root from the repository root after `mvn -DskipTests package`):
#   sudo book/sessions/record-compare.sh [COMPARE OPTIONS...]        (default: --runs 10)
# Runs `./rabbithole compare` on every built stage and on a dockerd of its own (Debian's docker.io), all on
# temporary roots, and writes book/src/docs/asciidoc/sessions/compare/: summary.txt (the terminal summary),
# figures.csv and report.json (the raw figures), tables.adoc (the report's tables, a tag per section), charts/*.svg (the report's charts and process trees, which the
# chapter shows) and report.png (a headless Chromium screenshot of the top of report.html, for the README; only when
# chromium is installed). Temporary paths are shown as $TMP and $EXEC. compare stops everything it started.
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=book/src/docs/asciidoc/sessions/compare
TMP="$(mktemp -d -t rhcompare.XXXX)"
trap 'rm -rf "$TMP"' EXIT
[ $# -gt 0 ] || set -- --runs 10
./rabbithole compare --out "$TMP/report" "$@" >"$TMP/summary.raw"
hide() {
  sed -E "s#$TMP/report#\$OUT#g; s#$PWD/##g; s#/tmp/[A-Za-z0-9._-]+#\$TMP#g; s#/run/rh[A-Za-z0-9._-]*#\$EXEC#g; s#/usr/lib/jvm/[A-Za-z0-9._-]+/bin/java#java#g"
}
rm -rf "$OUT" && mkdir -p "$OUT/charts"
hide <"$TMP/summary.raw" >"$OUT/summary.txt"
hide <"$TMP/report/figures.csv" >"$OUT/figures.csv"
hide <"$TMP/report/report.json" >"$OUT/report.json"
hide <"$TMP/report/tables.adoc" >"$OUT/tables.adoc"
for f in "$TMP"/report/charts/*.svg; do hide <"$f" >"$OUT/charts/$(basename "$f")"; done
if command -v chromium >/dev/null; then
  chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1200,1800 \
    --screenshot="$TMP/report.png" "file://$TMP/report/report.html" >/dev/null 2>&1
  cp "$TMP/report.png" "$OUT/report.png"
else
  echo "record-compare: chromium is not installed: no report.png (apt-get install chromium)" >&2
fi
echo "record-compare: wrote $OUT"
