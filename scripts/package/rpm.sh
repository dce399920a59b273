#!/bin/sh
# The package's tree as an .rpm (rpmbuild from Debian's rpm package will do):
#   rpm.sh TREE OUTDIR   ->  OUTDIR/pcheck-<version>-<revision>.<arch>.rpm
# The units go to /usr/lib/systemd/system, where RPM distributions keep them. Nothing is stripped
# (stripping would cut the application out of the single executable).
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
tree=${1:?usage: rpm.sh TREE OUTDIR}
out=${2:?usage: rpm.sh TREE OUTDIR}
version=$(node -p 'require(process.argv[1]).version' "$root/package.json")
revision=$(dpkg-parsechangelog -l "$root/packaging/debian/changelog" -S Version | sed 's/.*-//')
work=$out/pkg/rpm
rm -rf "$work"
mkdir -p "$work/root" "$work/top"

# the tree, as an RPM distribution lays it out
cp -a "$tree/." "$work/root/"
rm -rf "$work/root/DEBIAN" "$work/root/usr/share/lintian"
mkdir -p "$work/root/usr/lib"
mv "$work/root/lib/systemd" "$work/root/usr/lib/systemd"
rmdir "$work/root/lib"

# %files: the package's own directories, its files, its links; /etc files are configuration
files=$work/files
(
  cd "$work/root"
  find . -type d | sed 's|^\.||' | grep -E '^/(etc/pcheck|usr/share/pcheck|usr/share/doc/pcheck)(/|$)' | sed 's|^|%dir |'
  find . ! -type d | sed 's|^\.||' | while IFS= read -r path; do
    case $path in
      /etc/*) echo "%config(noreplace) $path" ;;
      *) echo "$path" ;;
    esac
  done
) | LC_ALL=C sort >"$files"

cat >"$work/pcheck.spec" <<SPEC
Name: pcheck
Version: $version
Release: $revision
Summary: Process monitor compatible with ProcessSaver's pcheck and padmin
License: MIT and ISC and Apache-2.0 and MIT-0
%global debug_package %{nil}
%global __os_install_post %{nil}
%global _build_id_links none
# gzip: faster to make than the default xz on the 100 MB executable, for a few MB more
%global _binary_payload w6.gzdio

%description
pcheck watches server processes it did not start and restarts them when they die, stall or
vanish; padmin asks it for its state over a Unix socket. One self-contained executable: no
Node.js needed. Installing the package starts nothing.

%install
cp -a $work/root/. %{buildroot}/

%post
install -d -m 0750 /var/log/pcheck
install -d -m 0755 /var/lib/pcheck
install -d -m 0700 /var/spool/pcheck
if [ -d /run/systemd/system ]; then systemctl --system daemon-reload >/dev/null 2>&1 || :; fi
case "\${PCHECK_VENDOR_LINKS:-}" in 1|yes|true) /usr/sbin/pcheck-vendor-links enable ;; esac

%preun
if [ "\$1" = 0 ]; then /usr/sbin/pcheck-vendor-links disable >/dev/null || :; fi

%postun
if [ -d /run/systemd/system ]; then systemctl --system daemon-reload >/dev/null 2>&1 || :; fi

%files -f $files
SPEC

rpmbuild --quiet -bb --define "_topdir $work/top" --define "_rpmdir $work/out" "$work/pcheck.spec" >"$work/rpmbuild.log" 2>&1 || {
  cat "$work/rpmbuild.log" >&2
  exit 1
}
rm -f "$out"/pcheck-*.rpm
rpm=$(find "$work/out" -name '*.rpm' | head -n 1)
mv "$rpm" "$out/"
echo "rpm.sh: $out/$(basename "$rpm")"
