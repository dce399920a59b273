#!/bin/sh
# Restart script of the samples: starts the bundled demo server (templates/demo) again.
# Set PCHECK_DEMO_PORT to the port in the sample's PS_EXEC line.
exec "$(dirname "$0")/../demo/restart.sh"
