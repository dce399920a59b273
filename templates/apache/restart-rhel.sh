#!/bin/sh
# Restart Apache httpd (RHEL httpd) after pcheck found it down, a zombie or stalled.
echo "restart httpd: reason=${PS_REASON:-manual} old pid=${PS_OLD_PID:--} retry=${PS_RETRY_COUNT:--}"
# Children of a dead or stalled parent still hold the port and the scoreboard: clear them.
pkill -KILL -x httpd
sleep 1
rm -f "${HTTPD_PIDFILE:-/run/httpd/httpd.pid}"
exec /usr/sbin/httpd -k start
