#!/bin/bash
# An offline node (issue 14.5): pveproxy's hop to it fails with 595 after
# its timeout (pvesim --proxy-timeout-ms stands in for the 30 s). A build
# there fails clearly, saying the node did not answer, while a build on
# the node that answers goes on; the offline node's guests are `unknown`;
# once the node is back, `retry` builds it.
set -u
. "$PHX_SOURCE/tests/integration/engine/lib.sh"

pvesim_start "$ENG_WORK/sim" 0 --node pve --node pve2 --offline pve2 \
	--proxy-timeout-ms 300 ||
	bail "pvesim did not start"
ROOT_TOKEN=$PVESIM_TOKEN

expect_eq "pve2 is offline in /nodes" offline \
	"$(pvesim_api GET /nodes | jq -r '.data[] | select(.node == "pve2") | .status')"
pvesim_api GET /nodes/pve2/lxc >/dev/null
expect_eq "a call for pve2 answers 595" 595 "$(pvesim_last_status)"

cat >"$ENG_CONFIG" <<JSON
{"lxc_configs": {
  "301": {"name": "far", "node": "pve2", "storage_pool": "local-lvm", "template": "$OSTMPL"},
  "302": {"name": "near", "node": "pve", "storage_pool": "local-lvm", "template": "$OSTMPL"}
}}
JSON
eng_mount
echo create >"$ENG_MNT/301/ctl" || bail "create > 301/ctl"
echo create >"$ENG_MNT/302/ctl" || bail "create > 302/ctl"

st=$(timeout 60 cat "$ENG_MNT/302/wait" 2>/dev/null)
expect_eq "302 on the node that answers is built" running "$st"
if st=$(timeout 60 cat "$ENG_MNT/301/wait" 2>"$ENG_WORK/err"); then
	nok "301 on the offline node settled as '$st'"
else
	ok "301's wait fails ($(cat "$ENG_WORK/err"))"
fi
status=$(cat "$ENG_MNT/301/status")
case $status in
*"no answer from node 'pve2' (pveproxy: 595 Connection timed out)"*)
	ok "301's status says pve2 did not answer: $status" ;;
*) nok "301's status: $status" ;;
esac
grep -q "595 Connection timed out" "$ENG_MNT/301/error" &&
	ok "301's error names the 595" || nok "301's error: $(cat "$ENG_MNT/301/error")"

# a guest that lives on the offline node shows `unknown`
curl -s --cacert "$PVESIM_CERT" -X DELETE -H "Authorization: PVEAPIToken=$ROOT_TOKEN" \
	"$PVESIM_URL/pvesim/offline/pve2" >/dev/null
check "301 is built once pve2 is back and retried" sh -c "
	echo retry >'$ENG_MNT/301/ctl' &&
	[ \"\$(timeout 60 cat '$ENG_MNT/301/wait')\" = running ]"
curl -s --cacert "$PVESIM_CERT" -X POST -H "Authorization: PVEAPIToken=$ROOT_TOKEN" \
	"$PVESIM_URL/pvesim/offline/pve2" >/dev/null
expect_eq "301 is unknown in /cluster/resources while pve2 is offline" unknown \
	"$(pvesim_api GET '/cluster/resources?type=vm' | jq -r '.data[] | select(.vmid == 301) | .status')"
expect_eq "302 stays running" running \
	"$(pvesim_api GET '/cluster/resources?type=vm' | jq -r '.data[] | select(.vmid == 302) | .status')"
check_fails "the first node cannot be taken offline" "not a node other than the first" \
	curl -s --fail-with-body --cacert "$PVESIM_CERT" -X POST \
	-H "Authorization: PVEAPIToken=$ROOT_TOKEN" "$PVESIM_URL/pvesim/offline/pve"
done_testing
