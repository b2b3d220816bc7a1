#!/bin/bash
# HA-managed containers (issue 14.4): start and stop come back as
# hastart/hastop tasks that end before the HA stack's own worker has
# started or stopped the container (pvesim: 6 x --task-ms later). The
# mount confirms with status/current: `wait` says running (stopped) only
# when Proxmox says so too.
set -u
. "$PHX_SOURCE/tests/integration/engine/lib.sh"

pvesim_start "$ENG_WORK/sim" 0 --task-ms 200 ||
	bail "pvesim did not start"
eng_api_create 120 || bail "create 120 through the API"
pvesim_api POST /cluster/ha/resources --data-urlencode sid=ct:120 --data-urlencode state=stopped >/dev/null
expect_eq "ct:120 is an HA resource" "ct:120" \
	"$(pvesim_api GET /cluster/ha/resources | jq -r '.data[0].sid')"

cat >"$ENG_CONFIG" <<JSON
{"lxc_configs": {"120": {"name": "ct120", "storage_pool": "local-lvm", "template": "$OSTMPL"}}}
JSON
eng_mount
wait_for "120 is seen stopped" 20 status_is 120 stopped
live() { pvesim_api GET /nodes/pve/lxc/120/status/current | jq -r .data.status; }

echo start >"$ENG_MNT/120/ctl"
st=$(timeout 60 cat "$ENG_MNT/120/wait")
now=$(live)
expect_eq "wait says running" running "$st"
expect_eq "... and Proxmox agrees at that moment" running "$now"
expect_eq "the start was an hastart task" 1 "$(eng_tasks pve hastart 120)"
grep -q "HA-managed: its task only asked the HA stack" "$ENG_MNT/120/log" &&
	ok "the log says why it waited" || nok "log: $(tail -5 "$ENG_MNT/120/log")"

echo stop >"$ENG_MNT/120/ctl"
st=$(timeout 60 cat "$ENG_MNT/120/wait")
now=$(live)
expect_eq "wait says stopped" stopped "$st"
expect_eq "... and Proxmox agrees" stopped "$now"
expect_eq "the stop was an hastop task" 1 "$(eng_tasks pve hastop 120)"
done_testing
