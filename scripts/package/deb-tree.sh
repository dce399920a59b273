#!/bin/sh
# The installed tree of pcheck, shared by the .deb, the tarball and the .rpm:
#   deb-tree.sh EXECUTABLE ROOT
# EXECUTABLE is the self-contained pcheck (npm run package: build/pcheck); ROOT is emptied first.
#   usr/sbin/pcheck, usr/sbin/padmin -> pcheck, usr/sbin/pcheck-vendor-links
#   lib/systemd/system/pcheck@.service, pcheck-autoreboot@.service   (pointing at /usr/sbin, /usr/share/pcheck)
#   etc/pcheck/example.pfile, etc/logrotate.d/pcheck
#   usr/share/pcheck/templates/                 (the rc script's default PCHECK_BIN_DIR: /usr/sbin)
#   usr/share/man/man5/pfile.5.gz, man8/{pcheck,padmin,pcheck-vendor-links}.8.gz
#   usr/share/bash-completion/completions/padmin, pcheck -> padmin
#   usr/share/doc/pcheck/copyright, changelog.Debian.gz
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
executable=${1:?usage: deb-tree.sh EXECUTABLE ROOT}
tree=${2:?usage: deb-tree.sh EXECUTABLE ROOT}

if [ ! -x "$executable" ]; then
  echo "deb-tree.sh: $executable is not an executable file: run npm run package (it builds build/pcheck) or name one" >&2
  exit 1
fi
version=$(node -p 'require(process.argv[1]).version' "$root/package.json")
# the package's version: package.json's, and the Debian revision of the changelog's top entry
logged=$(dpkg-parsechangelog -l "$root/packaging/debian/changelog" -S Version)
if [ "${logged%-*}" != "$version" ]; then
  echo "deb-tree.sh: packaging/debian/changelog's top entry is $logged but package.json says $version: add a changelog entry for $version-1" >&2
  exit 1
fi

rm -rf "$tree"
mkdir -p "$tree"
cd "$tree"

# files 0644, directories and executables 0755, whatever the checkout's umask was
install -d usr/sbin lib/systemd/system etc/pcheck etc/logrotate.d usr/share/pcheck \
  usr/share/man/man5 usr/share/man/man8 usr/share/bash-completion/completions usr/share/doc/pcheck
install -m 0755 "$executable" usr/sbin/pcheck
ln -s pcheck usr/sbin/padmin
install -m 0755 "$root/packaging/pcheck-vendor-links" usr/sbin/pcheck-vendor-links

# the units and the rc script as installed: binaries in /usr/sbin, templates in /usr/share/pcheck
installed_paths() {
  sed -e 's|/usr/local/bin\([/})]\)|/usr/sbin\1|g' -e 's|/usr/local/bin$|/usr/sbin|' \
    -e 's|/usr/local/lib/pcheck/templates/|/usr/share/pcheck/templates/|g' \
    -e 's|^Documentation=.*|Documentation=man:pcheck(8) man:pfile(5)|' "$1"
}
for unit in "$root"/templates/systemd/*.service; do
  installed="lib/systemd/system/$(basename "$unit")"
  installed_paths "$unit" >"$installed"
  # every unit points at the man page (systemctl help)
  grep -q '^Documentation=' "$installed" || sed -i '/^Description=/a Documentation=man:pcheck(8)' "$installed"
  chmod 0644 "$installed"
done
if grep -q '/usr/local' lib/systemd/system/*.service; then
  echo "deb-tree.sh: a unit in templates/systemd names a /usr/local path this script does not rewrite" >&2
  exit 1
fi

install -m 0644 "$root/packaging/example.pfile" etc/pcheck/example.pfile
install -m 0644 "$root/templates/logrotate/pcheck" etc/logrotate.d/pcheck

# the templates as in the checkout, without the test runs' leftovers
cp -R "$root/templates" usr/share/pcheck/templates
find usr/share/pcheck/templates -name '.test-*' -exec rm -rf {} +
for file in usr/share/pcheck/templates/systemd/*.service usr/share/pcheck/templates/rc/pcheck; do
  installed_paths "$file" >"$file.new" && mv "$file.new" "$file"
done
find usr/share/pcheck -type d -exec chmod 0755 {} +
find usr/share/pcheck -type f -exec chmod 0644 {} +
# scripts stay executable: those with a #! line
find usr/share/pcheck -type f -exec sh -c 'head -c 2 "$1" | grep -q "^#!"' sh {} \; -exec chmod 0755 {} \;

man=$(mktemp -d)
trap 'rm -rf "$man"' EXIT
sh "$root/scripts/package/deb-man.sh" "$man"
for page in "$man"/*; do
  name=$(basename "$page")
  gzip -9n <"$page" >"usr/share/man/man${name##*.}/$name.gz"
done

install -m 0644 "$root/packaging/completion/padmin" usr/share/bash-completion/completions/padmin
ln -s padmin usr/share/bash-completion/completions/pcheck

# copyright: the bundled npm modules come from the lock file's production packages
# shellcheck disable=SC2016 # JavaScript, not shell
modules=$(node -e '
  const lock = require(process.argv[1]);
  const lines = [];
  for (const [path, info] of Object.entries(lock.packages)) {
    if (path === "" || info.dev) continue;
    lines.push(` ${path.replace(/^.*node_modules\//, "")} ${info.version}: ${info.license}`);
  }
  console.log(lines.sort().join("\n"));' "$root/package-lock.json")
node_version=$(node -p process.version)
awk -v modules="$modules" -v node="$node_version" '{ gsub(/@NODE_VERSION@/, node) } /^@MODULES@$/ { print modules; next } { print }' \
  "$root/packaging/debian/copyright.in" >usr/share/doc/pcheck/copyright
chmod 0644 usr/share/doc/pcheck/copyright
gzip -9n <"$root/packaging/debian/changelog" >usr/share/doc/pcheck/changelog.Debian.gz
chmod 0644 usr/share/doc/pcheck/changelog.Debian.gz
