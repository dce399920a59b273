#!/bin/sh
# Restart script of the demo: start the demo server again, detached, its output to a log file.
# pcheck passes PS_PNAME, PS_OLD_PID, PS_REASON, PS_RETRY_COUNT, PS_PENT_ID and PS_PFILE.
dir=$(dirname "$0")
log=${PCHECK_DEMO_LOG:-/tmp/pcheck-demo-server.log}
echo "restart.sh: reason=$PS_REASON old pid=${PS_OLD_PID:--} retry=$PS_RETRY_COUNT"
nohup node "$dir/demo-server.js" >>"$log" 2>&1 </dev/null &
