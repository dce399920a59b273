#!/bin/sh
# Restart Tomcat after pcheck found it down, a zombie or stalled.
# CATALINA_HOME (default /opt/tomcat); TOMCAT_USER runs it as that user when pcheck is root.
home=${CATALINA_HOME:-/opt/tomcat}
echo "restart tomcat: reason=${PS_REASON:-manual} old pid=${PS_OLD_PID:--} retry=${PS_RETRY_COUNT:--} home=$home"
# A stalled JVM may still hold the port: make sure the old one is gone.
pkill -KILL -f 'org\.apache\.catalina\.startup\.Bootstrap'
sleep 1
if [ -n "${TOMCAT_USER:-}" ] && [ "$(id -u)" = 0 ]; then
  exec su -s /bin/sh -c "$home/bin/startup.sh" "$TOMCAT_USER"
fi
exec "$home/bin/startup.sh"
