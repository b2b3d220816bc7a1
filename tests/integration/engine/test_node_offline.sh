#!/bin/bash
# A node going offline mid-build (issue 16, tests): a three-node pvesim,
# builds running on pve2 and pve3, pve3 taken down while its build's task
# runs (pvesim's POST /pvesim/offline/NODE: every call for it then gets
# pveproxy's 595 after --proxy-timeout-ms, and its guests show `unknown` in
# /cluster/resources, as pve-manager's extract_vm_stats lists a guest of a
# node without stats). Its work fails clearly, with a reason naming the
# node; the builds on the other nodes finish; once pve3 is back, `retry`
# finishes it without making anything twice.
set -u
. "$PHX_SOURCE/tests/integration/engine/lib.sh"

pvesim_start "$ENG_WORK/sim" 0 --node pve1 --node pve2 --node pve3 --task-ms 1000 \
	--proxy-timeout-ms 200 --storage local:dir --storage local-lvm:lvmthin ||
	bail "pvesim did not start"
ROOT_TOKEN=$PVESIM_TOKEN
admin() { # POST|DELETE NODE: take NODE down / bring it back
	curl -s --fail --cacert "$PVESIM_CERT" -X "$1" \
		-H "Authorization: PVEAPIToken=$ROOT_TOKEN" "$PVESIM_URL/pvesim/offline/$2" >/dev/null
}
cat >"$ENG_CONFIG" <<JSON
{"lxc_configs": {
  "501": {"name": "on-one", "node": "pve1", "storage_pool": "local-lvm", "template": "$OSTMPL"},
  "502": {"name": "on-two", "node": "pve2", "storage_pool": "local-lvm", "template": "$OSTMPL"},
  "503": {"name": "on-three", "node": "pve3", "storage_pool": "local-lvm", "template": "$OSTMPL"},
  "510": {"name": "tpl-two", "node": "pve2", "is_template": true, "storage_pool": "local-lvm",
          "template": "$OSTMPL"},
  "511": {"name": "leaf-two", "clone_from_ctid": 510}
}}
JSON
node_of() { pvesim_api GET /cluster/resources | jq -r ".data[] | select(.vmid == $1) | .node"; }
res_status() { pvesim_api GET /cluster/resources | jq -r ".data[] | select(.vmid == $1) | .status"; }
eng_mount
check "ask for 503 (pve3), 502 and 511 (pve2), 501 (pve1)" bash -c "
	echo create > '$ENG_MNT/503/ctl' && echo create > '$ENG_MNT/502/ctl' &&
	echo create > '$ENG_MNT/511/ctl' && echo create > '$ENG_MNT/501/ctl'"
# pve3 goes down while 503's create task runs there
wait_for "503 is creating on pve3" 20 status_like 503 "creating: *UPID:pve3:*vzcreate:503:*"
check "take pve3 offline" admin POST pve3
# pve2's builds were under way too (a create task takes 3 s here)
check "502 is creating on pve2" status_like 502 "creating: *UPID:pve2:*vzcreate:502:*"
check "510 is creating on pve2" status_like 510 "creating: *UPID:pve2:*vzcreate:510:*"
expect_eq "503 is unknown in /cluster/resources" unknown "$(res_status 503)"

# the other nodes' builds finish
check "wait 502 (pve2)" timeout 90 cat "$ENG_MNT/502/wait"
expect_eq "502 running" running "$(cat "$W/out")"
check "wait 511 (pve2, from a template built there)" timeout 90 cat "$ENG_MNT/511/wait"
expect_eq "511 running" running "$(cat "$W/out")"
check "wait 501 (pve1)" timeout 90 cat "$ENG_MNT/501/wait"
expect_eq "501 running" running "$(cat "$W/out")"
expect_eq "511 beside its template on pve2" "pve2 pve2" "$(node_of 510) $(node_of 511)"

# 503's work fails clearly, naming the node that does not answer
check_fails "wait 503: EIO" "Input/output error" timeout 90 cat "$ENG_MNT/503/wait"
wait_for "503 failed: naming pve3 and the 595" 10 status_like 503 \
	"failed: *node 'pve3'*595 Connection timed out*"
echo "# 503: $(cat "$ENG_MNT/503/status")"
check "503's error names pve3" grep -q "pve3" "$ENG_MNT/503/error"
check "the mount still answers for the others" sh -c "
	[ \"\$(cat '$ENG_MNT/502/status')\" = running ] && ls -l '$ENG_MNT' >/dev/null"

# pve3 is back: retry finishes 503, and its container was made once
check "bring pve3 back" admin DELETE pve3
check "echo retry > 503/ctl" bash -c "echo retry > '$ENG_MNT/503/ctl'"
check "wait 503" timeout 90 cat "$ENG_MNT/503/wait"
expect_eq "503 running" running "$(cat "$W/out")"
expect_eq "503 runs on pve3" "pve3 running" \
	"$(node_of 503) $(pvesim_api GET /nodes/pve3/lxc/503/status/current | jq -r .data.status)"
expect_eq "one create of 503, on pve3" "1 0 0" \
	"$(eng_tasks pve3 vzcreate 503) $(eng_tasks pve1 vzcreate 503) $(eng_tasks pve2 vzcreate 503)"
expect_eq "every build made once" "1 1 1 1" \
	"$(eng_tasks pve1 vzcreate 501) $(eng_tasks pve2 vzcreate 502) $(eng_tasks pve2 vzcreate 510) $(eng_tasks pve2 vzclone 510)"
expect_eq "five containers in all" 5 "$(eng_guest_count)"
done_testing
