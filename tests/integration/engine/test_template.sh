#!/bin/bash
# Converting an existing, running container with `touch is_template`: it is
# stopped (shown as `converting: stopping first`), converted, and reads
# `template`. Then un-templating is refused with EPERM, whichever way it is
# tried, and the config file stays byte for byte as it was.
set -u
. "$PHX_SOURCE/tests/integration/engine/lib.sh"

pvesim_start "$ENG_WORK/sim" 0 --task-ms 400 || bail "pvesim did not start"
eng_api_create 103 pve start || bail "cannot create 103 through the API"
cat >"$ENG_CONFIG" <<JSON
{"lxc_configs": {
  "103": {"name": "ct103", "memory_mb": 512, "storage_pool": "local-lvm"}
}}
JSON
eng_mount
wait_for "103 is running" 10 status_is 103 running

check "touch 103/is_template" touch "$ENG_MNT/103/is_template"
expect_eq "is_template reads true" true "$(cat "$ENG_MNT/103/is_template")"
check "the entry says is_template" sh -c "jq -e '.lxc_configs[\"103\"].is_template == true' '$ENG_CONFIG'"
wait_for "103 shows the stop as part of the conversion" 10 \
	status_like 103 'converting: stopping first ?UPID:pve:*:vzstop:103:*'
wait_for "then converting" 10 status_like 103 'converting*'
check "wait 103" timeout 60 cat "$ENG_MNT/103/wait"
expect_eq "103 settled as a template" template "$(cat "$W/out")"
cfg=$(pvesim_api GET /nodes/pve/lxc/103/config)
expect_eq "template: 1 on the backend" 1 "$(echo "$cfg" | jq -r '.data.template // 0')"
expect_eq "no lock left" "" "$(echo "$cfg" | jq -r '.data.lock // ""')"
expect_eq "stopped on the backend" stopped \
	"$(pvesim_api GET /nodes/pve/lxc/103/status/current | jq -r .data.status)"
expect_eq "stopped once" 1 "$(eng_tasks pve vzstop 103)"
check "the log tells the story" sh -c \
	"grep -q 'stop 103 on pve' '$ENG_MNT/103/log' && grep -q 'converting 103 to a template' '$ENG_MNT/103/log' && grep -q 'converted' '$ENG_MNT/103/log'"
check "status never said 'stopping' (not a SPEC state)" sh -c "! grep -q 'stopping (' '$ENG_MNT/103/log'"

# touching it again changes nothing
check "touch again" touch "$ENG_MNT/103/is_template"
check "wait again" timeout 10 cat "$ENG_MNT/103/wait"
expect_eq "still one conversion" 1 "$(eng_tasks pve vztemplate 103)"

# un-templating is refused
cp "$ENG_CONFIG" "$W/before.json"
check_fails "rm is_template: EPERM" "Operation not permitted" rm "$ENG_MNT/103/is_template"
check "is_template still there" test -e "$ENG_MNT/103/is_template"
check_fails "echo false > is_template: EPERM" "Operation not permitted" \
	bash -c "echo false > '$ENG_MNT/103/is_template'"
# without a newline the value is committed at close: a program that checks
# close sees the refusal there
check_fails "0 without a newline, refused at close: EPERM" "Operation not permitted" \
	/usr/bin/python3 -c "
with open('$ENG_MNT/103/is_template', 'w') as f:
    f.write('0')"
check_fails "config.json without is_template: EPERM" "Operation not permitted" \
	bash -c "jq -c 'del(.is_template)' '$ENG_MNT/103/config.json' > '$W/e.json' && cat '$W/e.json' > '$ENG_MNT/103/config.json'"
check_fails "whole config.json without it: EPERM" "Operation not permitted" \
	bash -c "jq 'del(.lxc_configs[\"103\"].is_template)' '$ENG_MNT/config.json' > '$W/all.json' && cat '$W/all.json' > '$ENG_MNT/config.json'"
check_fails "mv a scratch file with false onto it: EPERM" "Operation not permitted" \
	bash -c "echo false > '$ENG_MNT/103/.tmp' && mv '$ENG_MNT/103/.tmp' '$ENG_MNT/103/is_template'"
rm -f "$ENG_MNT/103/.tmp"
check "the config file is byte-for-byte unchanged" cmp "$W/before.json" "$ENG_CONFIG"
check "error says why" grep -q 'a template cannot be turned back' "$ENG_MNT/103/error"
check "log records the refusal" grep -q 'refused: 103 is a template on the backend' "$ENG_MNT/103/log"
expect_eq "still a template" template "$(eng_status 103)"
expect_eq "still template: 1" 1 "$(pvesim_api GET /nodes/pve/lxc/103/config | jq -r '.data.template // 0')"
# writing true again is fine
check "echo true > is_template is accepted" sh -c "echo true > '$ENG_MNT/103/is_template'"
done_testing
