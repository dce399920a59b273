#!/bin/sh
# Restart Apache httpd (Debian apache2) after pcheck found it down, a zombie or stalled.
# pcheck sets PS_REASON (down, zombie, stall, notfound), PS_OLD_PID, PS_RETRY_COUNT.
# apache2ctl reads /etc/apache2/envvars; APACHE_ARGUMENTS passes extra httpd arguments.
echo "restart apache2: reason=${PS_REASON:-manual} old pid=${PS_OLD_PID:--} retry=${PS_RETRY_COUNT:--}"
# Children of a dead or stalled parent still hold the port and the scoreboard: clear them.
pkill -KILL -x apache2
sleep 1
rm -f "${APACHE_PIDFILE:-/var/run/apache2/apache2.pid}"
exec /usr/sbin/apache2ctl start
