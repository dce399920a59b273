#!/bin/sh
# npm run deb: the Debian package, the tarball and (where rpmbuild is installed) the .rpm of the
# single executable, all from one tree (deb-tree.sh). No network.
#   sh scripts/package/deb.sh [EXECUTABLE]     EXECUTABLE defaults to build/pcheck (npm run package)
# Writes, in build/ (PCHECK_PACKAGE_OUT names another directory):
#   pcheck_<version>-<revision>_<arch>.deb, pcheck-<version>-linux-<arch>.tar.gz, pcheck-<version>-<revision>.<arch>.rpm
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
executable=${1:-$root/build/pcheck}
out=${PCHECK_PACKAGE_OUT:-$root/build}

for tool in dpkg-deb dpkg-parsechangelog dpkg-shlibdeps pandoc; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "deb.sh: $tool is not installed: apt-get install -y dpkg-dev pandoc" >&2
    exit 1
  fi
done
mkdir -p "$out"
out=$(cd "$out" && pwd)
work=$out/pkg
# laid out as dpkg-shlibdeps expects a package being built: debian/control, debian/<package>/
tree=$work/debian/pcheck
rm -rf "$work"
mkdir -p "$work"

sh "$root/scripts/package/deb-tree.sh" "$executable" "$tree"

version=$(dpkg-parsechangelog -l "$root/packaging/debian/changelog" -S Version)
arch=$(dpkg --print-architecture)
# what the executable links against, as Debian package names: dpkg-shlibdeps needs a debian/control,
# and the tree's DEBIAN/ to know it is a package's
mkdir -p "$tree/DEBIAN"
depends=
if [ "$(head -c 4 "$tree/usr/sbin/pcheck" | od -An -c | tr -d ' ')" = '177ELF' ]; then
  printf 'Source: pcheck\n\nPackage: pcheck\nArchitecture: any\n' >"$work/debian/control"
  # warnings 1: symbols not found; not Node's own harmless extra links (libdl, libpthread)
  depends=$(cd "$work" && dpkg-shlibdeps -O --warnings=1 debian/pcheck/usr/sbin/pcheck | sed -n 's/^shlibs:Depends=//p')
fi
size=$(du -sk "$tree" | cut -f1)

sed -e "s/@VERSION@/$version/" -e "s/@ARCH@/$arch/" -e "s/@SIZE@/$size/" -e "s/@DEPENDS@/$depends/" \
  "$root/packaging/debian/control.in" | sed '/^Depends: *$/d' >"$tree/DEBIAN/control"
cp "$root/packaging/debian/conffiles" "$tree/DEBIAN/conffiles"
for script in postinst prerm postrm; do
  install -m 0755 "$root/packaging/debian/$script" "$tree/DEBIAN/$script"
done
install -d "$tree/usr/share/lintian/overrides"
install -m 0644 "$root/packaging/debian/lintian-overrides" "$tree/usr/share/lintian/overrides/pcheck"
(cd "$tree" && find . -path ./DEBIAN -prune -o -type f -print | sed 's|^\./||' | LC_ALL=C sort | xargs md5sum) >"$tree/DEBIAN/md5sums"
chmod 0644 "$tree/DEBIAN/control" "$tree/DEBIAN/conffiles" "$tree/DEBIAN/md5sums"

deb=$out/pcheck_${version}_${arch}.deb
rm -f "$out"/pcheck_*.deb
dpkg-deb --root-owner-group -Zxz --build "$tree" "$deb" >/dev/null
echo "deb.sh: $deb"

sh "$root/scripts/package/tarball.sh" "$tree" "$out"
if command -v rpmbuild >/dev/null 2>&1; then
  sh "$root/scripts/package/rpm.sh" "$tree" "$out"
else
  echo "deb.sh: no rpmbuild (apt-get install -y rpm): no .rpm this time"
fi

# the staging trees are not needed once the packages are made
rm -rf "$work"
