#!/bin/bash
# Placement (issue 16.2) through the mount against a three-node pvesim whose
# nodes differ in memory (--node-memory) and storages (--storage-nodes): a
# container without `node` goes to the online node with the most free
# memory that has its storage, and its log says why; a clone goes beside
# its source (a linked clone must stay with its template); `node` set is
# obeyed; a batch of entries without `node` added at once spreads as the
# memory each placement holds dictates, not all on the node that was
# freest.
set -u
. "$PHX_SOURCE/tests/integration/engine/lib.sh"

pvesim_start "$ENG_WORK/sim" 0 --node pve1 --node pve2 --node pve3 --task-ms 100 --stats-lag-ms 1000 \
	--storage local:dir --storage local-lvm:lvmthin --storage shared:nfs \
	--storage-nodes local-lvm:pve1,pve3 --node-memory pve1:16 --node-memory pve2:64 \
	--node-memory pve3:32 || bail "pvesim did not start"
cat >"$ENG_CONFIG" <<JSON
{"lxc_configs": {
  "500": {"name": "needs-lvm", "storage_pool": "local-lvm", "template": "$OSTMPL", "memory_mb": 512},
  "501": {"name": "on-shared", "storage_pool": "shared", "template": "$OSTMPL", "memory_mb": 512},
  "502": {"name": "pinned", "node": "pve1", "storage_pool": "local-lvm", "template": "$OSTMPL"},
  "510": {"name": "tpl", "node": "pve1", "is_template": true, "storage_pool": "local-lvm",
          "template": "$OSTMPL"},
  "511": {"name": "leaf", "memory_mb": 256}
}}
JSON
node_of() { pvesim_api GET /cluster/resources | jq -r ".data[] | select(.vmid == $1) | .node"; }
build() { # VMID
	bash -c "echo create > '$ENG_MNT/$1/ctl'" && timeout 60 cat "$ENG_MNT/$1/wait" >/dev/null
}
eng_mount

# pve2 has the most memory but not local-lvm; pve3 has more free than pve1
check "build 500 (local-lvm, no node)" build 500
expect_eq "500 placed on pve3" pve3 "$(node_of 500)"
check "500's log says why pve3" grep -qF \
	"placed 500 on pve3: most free memory: 31.0 of 32.0 GiB, has local-lvm; pve1 15.0 GiB free; pve2 lacks local-lvm" \
	"$ENG_MNT/500/log"
# shared storage is everywhere: the most free memory wins
check "build 501 (shared, no node)" build 501
expect_eq "501 placed on pve2" pve2 "$(node_of 501)"
check "501's log says why pve2" grep -qF "placed 501 on pve2: most free memory: 63.0 of 64.0 GiB, has shared" \
	"$ENG_MNT/501/log"
# node set: as written, no placement
check "build 502 (node pve1)" build 502
expect_eq "502 on pve1" pve1 "$(node_of 502)"
check "502 was not placed" bash -c "! grep -q 'placed 502' '$ENG_MNT/502/log'"
# a linked clone goes to its template's node, not where memory is free
check "build 510 (template on pve1)" build 510
check "echo 510 > 511/clone_from" bash -c "echo 510 > '$ENG_MNT/511/clone_from'"
check "wait 511" timeout 60 cat "$ENG_MNT/511/wait"
expect_eq "511 beside its template on pve1" pve1 "$(node_of 511)"
expect_eq "511's disk is on pve1's local-lvm" "local-lvm:vm-511-disk-0,size=4G" \
	"$(pvesim_api GET /nodes/pve1/lxc/511/config | jq -r .data.rootfs)"

# A batch of six 20 GiB leaves without `node`, added to the file at once.
# Let the listing first show the earlier containers running (pvestatd's
# period), so that its figures are all the mount goes by; then what each
# node should get follows from them by the rule: the most free memory
# less what the batch already took there, a tie to fewer taken, then the
# name. Without holds all six would go to pve2, the freest when listed.
listed_running() {
	local ids
	ids=$(pvesim_api GET /cluster/resources |
		jq -r '[.data[] | select(.type == "lxc" and .status == "running") | .vmid] | sort | join(",")')
	[ "$ids" = "500,501,502,511" ]
}
wait_for "the listing shows 500 501 502 511 running" 30 listed_running
LEAF_MB=20480
declare -A free taken
while read -r n f; do free[$n]=$f; taken[$n]=0; done < <(pvesim_api GET /cluster/resources |
	jq -r '.data[] | select(.type == "node" and .status == "online") | "\(.node) \(.maxmem - .mem)"')
for _ in 1 2 3 4 5 6; do
	best=
	for n in $(printf '%s\n' "${!free[@]}" | sort); do
		if [ -z "$best" ] || [ "${free[$n]}" -gt "${free[$best]}" ] ||
		   { [ "${free[$n]}" -eq "${free[$best]}" ] && [ "${taken[$n]}" -lt "${taken[$best]}" ]; }; then
			best=$n
		fi
	done
	free[$best]=$((free[$best] - (LEAF_MB << 20)))
	taken[$best]=$((taken[$best] + 1))
done
want=$(for n in pve1 pve2 pve3; do printf '%s=%s ' "$n" "${taken[$n]}"; done)
echo "# the rule gives: $want"
jq --arg t "$OSTMPL" --argjson m "$LEAF_MB" '.lxc_configs += (reduce range(520; 526) as $i ({};
	.["\($i)"] = {"name": "batch-\($i)", "storage_pool": "shared", "template": $t, "memory_mb": $m}))' \
	"$ENG_CONFIG" >"$ENG_CONFIG.new" && mv "$ENG_CONFIG.new" "$ENG_CONFIG"
batch_built() {
	for i in 520 521 522 523 524 525; do
		[ "$(eng_status "$i")" = running ] || return 1
	done
}
wait_for "the batch 520-525 is built" 60 batch_built
declare -A got=([pve1]=0 [pve2]=0 [pve3]=0)
for i in 520 521 522 523 524 525; do
	n=$(node_of "$i")
	got[$n]=$((${got[$n]:-0} + 1))
	check "$i's log says why $n" grep -qE "placed $i on $n: most free memory: " "$ENG_MNT/$i/log"
done
grep -h "placed 52[0-5] on" $(printf "$ENG_MNT/%s/log " 520 521 522 523 524 525) | sed 's/^/# /'
expect_eq "the batch spreads as the memory figures dictate" "$want" \
	"$(for n in pve1 pve2 pve3; do printf '%s=%s ' "$n" "${got[$n]}"; done)"
check "a later placement's why counts the memory the earlier ones hold" \
	grep -qE "placed 52[0-5] on pve[1-3]: .*held for [1-6] placed" $(printf "$ENG_MNT/%s/log " 520 521 522 523 524 525)
done_testing
