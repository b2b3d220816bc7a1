#!/bin/bash
# The Proxmox driver against pvesim over HTTPS: pve_client's scenario on a
# normal server, then its error texts on a server without the JSON
# "message" field. Ports 18120-18121.
set -u
. "$PHX_SOURCE/tests/integration/pvesim/lib.sh"

client=$PHX_BUILD/tests/integration/pve/pve_client
work=$PHX_BUILD/tests/integration/pve/work
rm -rf "$work"
mkdir -p "$work"
trap 'pvesim_stop' EXIT

pvesim_start "$work/sim" 18120 || exit 1
"$client" full || { echo "--- pvesim log (tail)"; tail -40 "$PVESIM_LOG"; exit 1; }
pvesim_stop

pvesim_start "$work/sim-old" 18121 --no-message-field || exit 1
"$client" old || { echo "--- pvesim log (tail)"; tail -40 "$PVESIM_LOG"; exit 1; }
pvesim_stop
echo "PASS"
