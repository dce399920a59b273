#!/bin/sh
# The package's tree as a tarball, for distributions other than Debian's:
#   tarball.sh TREE OUTDIR   ->  OUTDIR/pcheck-<version>-linux-<arch>.tar.gz (arch as Node names it: x64, arm64)
# Paths inside are relative to /: tar -xzf pcheck-*.tar.gz -C / installs it (docs/packaging.md).
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
tree=${1:?usage: tarball.sh TREE OUTDIR}
out=${2:?usage: tarball.sh TREE OUTDIR}
version=$(node -p 'require(process.argv[1]).version' "$root/package.json")
arch=$(node -p process.arch)
tarball=$out/pcheck-$version-linux-$arch.tar.gz
rm -f "$out"/pcheck-*-linux-*.tar.gz
# owned by root, in a stable order, without the Debian control area nor lintian's overrides
(cd "$tree" && find . -path ./DEBIAN -prune -o -path ./usr/share/lintian -prune -o ! -name . -print | LC_ALL=C sort) >"$out/tarball.list"
tar --create --gzip --file "$tarball" --directory "$tree" --owner=0 --group=0 --numeric-owner \
  --no-recursion --files-from "$out/tarball.list"
rm -f "$out/tarball.list"
echo "tarball.sh: $tarball"
