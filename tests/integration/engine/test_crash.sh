#!/bin/bash
# Durable intent: `echo 900 > 103/clone_from` (900 a template to make from
# an OS template, neither existing), then kill -9 phoenixfs at various
# moments — right after the write returned, while 900 is created, while it
# is converted, while 103 is cloned, while 103 starts — clean the dead mount
# with fusermount3 -uz, and remount: the build completes exactly once, with
# no orphan and no lock left behind.
set -u
. "$PHX_SOURCE/tests/integration/engine/lib.sh"

SIM=$ENG_WORK/sim
# one journal per mount, named by host and mount point (journal.c)
JOURNALS=$ENG_WORK/.phoenix_lxc_configs.json.phoenixfs-journal

# round NAME CT GLOB: fresh pvesim and config; write; kill -9 once CT's
# status matches GLOB (empty: right after the write returned); remount and
# check the outcome.
round() {
	local name=$1 ct=$2 glob=$3
	[ -n "${PVESIM_PID:-}" ] && pvesim_stop
	rm -rf "$SIM" "$JOURNALS"*
	pvesim_start "$SIM" 0 --task-ms 500 2>/dev/null || bail "pvesim did not start"
	cat >"$ENG_CONFIG" <<JSON
{"lxc_configs": {
  "900": {"name": "base", "is_template": true, "storage_pool": "local-lvm",
          "template": "$OSTMPL"},
  "103": {"name": "leaf", "memory_mb": 384}
}}
JSON
	eng_mount
	check "$name: echo 900 > 103/clone_from" bash -c "echo 900 > '$ENG_MNT/103/clone_from'"
	if [ -n "$glob" ]; then
		wait_for "$name: $ct reaches '$glob'" 30 status_like "$ct" "$glob"
	fi
	eng_kill9
	check "$name: the write is in the config file" \
		jq -e '.lxc_configs["103"].clone_from_ctid | tostring == "900"' "$ENG_CONFIG"
	check "$name: the dead mount is gone" sh -c "! mountpoint -q '$ENG_MNT'"
	eng_mount
	check "$name: wait 103 after the remount" timeout 90 cat "$ENG_MNT/103/wait"
	expect_eq "$name: 103 running" running "$(cat "$W/out")"
	expect_eq "$name: 900 template" template "$(eng_status 900)"
	expect_eq "$name: exactly two guests (no orphan)" "103 900" \
		"$(pvesim_api GET /cluster/resources | jq -r '[.data[] | select(.type == "lxc") | .vmid] | sort | map(tostring) | join(" ")')"
	expect_eq "$name: 900 created once" 1 "$(eng_tasks pve vzcreate 900)"
	expect_eq "$name: 103 cloned once" 1 "$(eng_tasks pve vzclone 900)"
	expect_eq "$name: nothing destroyed" 0 "$(eng_tasks pve vzdestroy)"
	for c in 900 103; do
		expect_eq "$name: no lock left on $c" "" \
			"$(pvesim_api GET /nodes/pve/lxc/$c/config | jq -r '.data.lock // ""')"
	done
	expect_eq "$name: 103 memory applied" 384 \
		"$(pvesim_api GET /nodes/pve/lxc/103/config | jq -r .data.memory)"
	check "$name: the journal holds nothing pending" \
		sh -c "jq -s -e 'map(.pending[]) | length == 0' $JOURNALS@*[0-9a-f]"
	eng_umount
}

round "after the write" 103 ""
round "creating 900" 900 'creating: from*UPID*'
round "converting 900" 900 'converting*'
round "cloning 103" 103 'cloning: from 900 ?UPID*'
round "starting 103" 103 'starting*'
done_testing
