#!/bin/sh
# Man pages from their Markdown sources in docs/man/ (pandoc's man writer): deb-man.sh OUTDIR
# writes OUTDIR/pcheck.8, padmin.8, pcheck-vendor-links.8 and pfile.5, dated by the changelog's
# top entry (the same bytes every build of a version), without hyphenation: option names, paths and
# PS_* variables are not broken across lines.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:?usage: deb-man.sh OUTDIR}

if ! command -v pandoc >/dev/null 2>&1; then
  echo "deb-man.sh: pandoc is not installed: apt-get install -y pandoc" >&2
  exit 1
fi
version=$(node -p 'require(process.argv[1]).version' "$root/package.json")
date=$(dpkg-parsechangelog -l "$root/packaging/debian/changelog" -S Date)
date=$(date -u -d "$date" +%Y-%m-%d)

mkdir -p "$out"
for source in "$root"/docs/man/*.md; do
  page=$(basename "$source" .md)
  pandoc --standalone --from markdown-smart --to man \
    --metadata footer="pcheck $version" --metadata date="$date" --metadata hyphenate=false \
    --output "$out/$page" "$source"
done
