#!/bin/sh
# Installs pcheck from this checkout:
#   <prefix>/lib/pcheck/    the code, its production dependencies, templates and docs
#   <prefix>/bin/pcheck, <prefix>/bin/padmin
# Options:
#   --prefix DIR      default /usr/local
#   --vendor-paths    also link pcheck and padmin into /opt/HA/PS/bin (VENDOR_DIR overrides), for
#                     sites whose rc scripts call the vendor's paths
#   --systemd         install pcheck@.service and pcheck-autoreboot@.service (SYSTEMD_DIR overrides
#                     /etc/systemd/system)
# Running it again upgrades in place.
set -eu

usage() {
  sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'
}

prefix=/usr/local
vendor=no
systemd=no
while [ $# -gt 0 ]; do
  case $1 in
    --prefix) prefix=${2:?--prefix needs a directory}; shift 2 ;;
    --prefix=*) prefix=${1#--prefix=}; shift ;;
    --vendor-paths) vendor=yes; shift ;;
    --systemd) systemd=yes; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "install.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
vendor_dir=${VENDOR_DIR:-/opt/HA/PS/bin}
systemd_dir=${SYSTEMD_DIR:-/etc/systemd/system}
source_dir=$(cd "$(dirname "$0")/.." && pwd)
dest=$prefix/lib/pcheck

cd "$source_dir"
if [ ! -f dist/cli/pcheck.js ]; then
  echo "building pcheck"
  npm ci --no-audit --no-fund
  npm run build
fi

mkdir -p "$dest" "$prefix/bin"
rm -rf "${dest:?}/bin" "${dest:?}/dist" "${dest:?}/templates" "${dest:?}/docs"
cp -R bin dist templates docs package.json package-lock.json README.md "$dest/"
(cd "$dest" && npm ci --omit=dev --no-audit --no-fund --ignore-scripts >/dev/null)
ln -sf "$dest/bin/pcheck.js" "$prefix/bin/pcheck"
ln -sf "$dest/bin/padmin.js" "$prefix/bin/padmin"
echo "installed pcheck and padmin in $prefix/bin (code in $dest)"

if [ "$vendor" = yes ]; then
  mkdir -p "$vendor_dir"
  ln -sf "$dest/bin/pcheck.js" "$vendor_dir/pcheck"
  ln -sf "$dest/bin/padmin.js" "$vendor_dir/padmin"
  echo "linked pcheck and padmin into $vendor_dir"
fi

if [ "$systemd" = yes ]; then
  mkdir -p "$systemd_dir"
  for unit in pcheck@.service pcheck-autoreboot@.service; do
    sed "s|/usr/local/|$prefix/|g" "templates/systemd/$unit" >"$systemd_dir/$unit"
  done
  if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
    systemctl daemon-reload
  fi
  echo "installed pcheck@.service and pcheck-autoreboot@.service in $systemd_dir"
fi
