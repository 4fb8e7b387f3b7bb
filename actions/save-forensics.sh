#!/bin/sh
# Appends the detection that triggered the route to the forensics log.
# The event arrives only in $HOOKER_EVENT: it is printed as data, never run.
set -eu
log="${HOOKER_FORENSICS_LOG:-data/forensics/tracee.log}"
mkdir -p "$(dirname "$log")"
printf '%s %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$HOOKER_EVENT" >> "$log"
echo "saved event ${HOOKER_EVENT_ID:-?} to $log"
