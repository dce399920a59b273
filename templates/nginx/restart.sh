#!/bin/sh
# Restart nginx after pcheck found it down, a zombie or stalled.
# NGINX_CONF names the configuration (default /etc/nginx/nginx.conf).
conf=${NGINX_CONF:-/etc/nginx/nginx.conf}
echo "restart nginx: reason=${PS_REASON:-manual} old pid=${PS_OLD_PID:--} retry=${PS_RETRY_COUNT:--} conf=$conf"
# Workers of a dead or stalled master still hold the port: clear them.
pkill -KILL -x nginx
sleep 1
pidfile=$(sed -n 's/^[[:space:]]*pid[[:space:]]\{1,\}\([^;]*\);.*/\1/p' "$conf" | head -n 1)
rm -f "${pidfile:-/run/nginx.pid}"
exec /usr/sbin/nginx -c "$conf"
