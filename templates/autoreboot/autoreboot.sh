#!/bin/sh
# AutoReboot: called when pcheck gave up (retry over with `exit`, status 3). Reboots the host to
# recover, unless it has already rebooted AUTOREBOOT_THRESHOLD times within AUTOREBOOT_WINDOW
# seconds: a server that a reboot does not mend must not reboot for ever.
#
#   AUTOREBOOT_NAME        which pcheck gave up (default: pcheck); names the counter file
#   AUTOREBOOT_COUNT_FILE  one epoch-seconds line per reboot (default /var/lib/pcheck/autoreboot.<name>.count)
#   AUTOREBOOT_THRESHOLD   reboots allowed inside the window (default 3)
#   AUTOREBOOT_WINDOW      seconds after which a reboot no longer counts (default 86400)
#   PCHECK_REBOOT_COMMAND  what reboots (default: /sbin/shutdown -r now)
#
# Exit: 0 reboot started; 1 threshold reached, no reboot; 2 the reboot command failed.
set -u
name=${AUTOREBOOT_NAME:-pcheck}
count_file=${AUTOREBOOT_COUNT_FILE:-/var/lib/pcheck/autoreboot.$name.count}
threshold=${AUTOREBOOT_THRESHOLD:-3}
window=${AUTOREBOOT_WINDOW:-86400}
reboot_command=${PCHECK_REBOOT_COMMAND:-/sbin/shutdown -r now}

say() {
  echo "pcheck-autoreboot[$name]: $*" >&2
  logger -t pcheck-autoreboot -p daemon.notice -- "[$name] $*" 2>/dev/null || true
}

now=$(date +%s)
mkdir -p "$(dirname "$count_file")"
touch "$count_file"
# keep only the reboots inside the window: older ones no longer count
recent=$(awk -v since="$((now - window))" '$1 ~ /^[0-9]+$/ && $1 > since' "$count_file")
printf '%s\n' "$recent" | sed '/^$/d' >"$count_file.tmp" && mv "$count_file.tmp" "$count_file"
count=$(sed '/^$/d' "$count_file" | wc -l)

if [ "$count" -ge "$threshold" ]; then
  say "not rebooting: $count reboots in the last $window s reached the threshold $threshold ($count_file); the server needs a person"
  exit 1
fi
echo "$now" >>"$count_file"
say "rebooting: reboot $((count + 1)) of $threshold allowed in $window s; running: $reboot_command"
# word splitting is intended: the command may carry arguments
# shellcheck disable=SC2086
if ! $reboot_command; then
  say "the reboot command failed: $reboot_command"
  exit 2
fi
exit 0
