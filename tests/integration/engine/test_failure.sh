#!/bin/bash
# Sharing, failure propagation, wait's EIO, and retry: two leaves on one
# missing template source whose OS template does not exist; after fixing
# the template, retry builds the source once and both leaves.
set -u
. "$PHX_SOURCE/tests/integration/engine/lib.sh"

pvesim_start "$ENG_WORK/sim" 0 || fail "pvesim did not start"
cat >"$ENG_CONFIG" <<JSON
{"lxc_configs": {
  "900": {"name": "base", "is_template": true, "storage_pool": "local-lvm", "storage_size_gb": 4,
          "template": "local:vztmpl/no-such-template.tar.zst"},
  "103": {"name": "a", "storage_pool": "local-lvm"},
  "104": {"name": "b", "storage_pool": "local-lvm"}
}}
JSON
eng_mount

echo 900 >"$ENG_MNT/103/clone_from" || fail "echo 900 > 103/clone_from"
echo 900 >"$ENG_MNT/104/clone_from" || fail "echo 900 > 104/clone_from"
if st=$(timeout 60 cat "$ENG_MNT/103/wait" 2>"$ENG_WORK/err"); then
	fail "103/wait succeeded: $st"
fi
grep -q 'Input/output error' "$ENG_WORK/err" || fail "wait error: $(cat "$ENG_WORK/err")"
read -r state rest <"$ENG_MNT/104/status"
[ "$state" = failed: ] || fail "104 status: $state $rest"
case "$rest" in "dependency 900 failed: create of 900 failed"*) ;;
	*) fail "104 reason: $rest" ;; esac
grep -q 'dependency 900 failed' "$ENG_MNT/104/error" || fail "104 error: $(cat "$ENG_MNT/104/error")"
[ "$(eng_guest_count)" = 0 ] || fail "guests left behind: $(eng_guest_count)"

echo local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst >"$ENG_MNT/900/template" ||
	fail "fix 900/template"
echo retry >"$ENG_MNT/103/ctl" || fail "retry 103"
echo retry >"$ENG_MNT/104/ctl" || fail "retry 104"
st=$(timeout 60 cat "$ENG_MNT/103/wait") || fail "103 after retry: $(cat "$ENG_MNT/103/error")"
[ "$st" = running ] || fail "103 settled as $st"
st=$(timeout 60 cat "$ENG_MNT/104/wait") || fail "104 after retry: $(cat "$ENG_MNT/104/error")"
[ "$st" = running ] || fail "104 settled as $st"
[ "$(cat "$ENG_MNT/900/status")" = template ] || fail "900: $(cat "$ENG_MNT/900/status")"
[ "$(eng_guest_count)" = 3 ] || fail "expected 3 guests, have $(eng_guest_count)"
echo PASS
