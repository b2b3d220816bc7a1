#!/bin/bash
# Malformed config files at mount time: phoenixfs refuses to mount with a
# message naming the file and the problem, exits (no crash, no hang), and
# never rewrites the user's file. Outside edits that break the file while
# mounted: the last good tree stays, writes are refused, nothing is written.
. "$(dirname "$0")/../lib.sh"
phx_setup bad_config

sum() { stat -c '%i %Y %s %F' "$1" && if [ -f "$1" ]; then sha256sum <"$1"; fi; }

# refuse NAME EXPECTED-TEXT: mount $CFG, expect refusal
refuse() {
	local desc=$1 text=$2 before rc
	before=$(sum "$CFG" 2>/dev/null)
	ls -a "$W" >"$W/dir.before"
	timeout 10 "$PHOENIXFS" -f "$CFG" "$MNT" >"$W/out" 2>"$W/err"
	rc=$?
	if [ $rc = 0 ] || [ $rc -ge 124 ]; then
		nok "$desc: refused (exit $rc)"; sed 's/^/#   /' "$W/err"
		phx_umount
	elif grep -qF -- "cannot mount: $CFG: $text" "$W/err"; then
		ok "$desc: refused with '$text'"
	else
		nok "$desc: message lacks 'cannot mount: $CFG: $text'"; sed 's/^/#   /' "$W/err"
	fi
	if mountpoint -q "$MNT"; then nok "  $desc: not mounted"; phx_umount; fi
	expect_eq "  $desc: file untouched" "$before" "$(sum "$CFG" 2>/dev/null)"
	ls -a "$W" | grep -v '^\(out\|err\|dir.before\|dir.after\)$' >"$W/dir.after"
	grep -v '^\(out\|err\|dir.before\|dir.after\)$' "$W/dir.before" | cmp -s - "$W/dir.after" ||
		{ nok "  $desc: no file left beside it"; diff "$W/dir.before" "$W/dir.after" | sed 's/^/#   /'; }
}
bad() { # DESC TEXT CONTENT
	rm -rf "$CFG"; printf '%s' "$3" >"$CFG"
	refuse "$1" "$2"
}
bad "empty file" "not valid JSON at line 1: the document is empty" ''
bad "truncated" "not valid JSON at line 1" '{"lxc_configs": {"900": {'
bad "garbage" "not valid JSON at line 1" 'lxc_configs = 900'
bad "bad JSON on line 3 names line 3" "not valid JSON at line 3" $'{\n"lxc_configs": {\n"900": {,}}}'
bad "trailing comma (jq refuses it too)" "not valid JSON" '{"lxc_configs": {"900": {},}}'
bad "comment" "not valid JSON" '/* mine */ {"lxc_configs": {}}'
bad "1. (not a JSON number)" "not valid JSON at line 1: a number that is not valid JSON" '{"lxc_configs": {"900": {"x": 1.}}}'
bad "NaN" "not valid JSON at line 1: a number that is not valid JSON" '{"lxc_configs": {"900": {"x": NaN}}}'
bad "invalid UTF-8" "not valid JSON" $'{"lxc_configs": {"900": {"name": "\xff"}}}'
bad "a NUL byte" "not valid JSON" "$(printf '{"lxc_configs": {}}')"$'\x01'
bad "two documents" "not valid JSON at line 1" '{"lxc_configs": {}} {}'
bad "nesting 40 deep" "not valid JSON" "{\"lxc_configs\": {\"900\": {\"x\": $(printf '[%.0s' $(seq 40))$(printf ']%.0s' $(seq 40))}}}"
bad "root is an array" 'the document must be a JSON object' '[]'
bad "root is null" 'not valid JSON' 'null'
bad "lxc_configs is an array" '"lxc_configs" must be an object' '{"lxc_configs": []}'
bad "an entry is a list" 'lxc_configs.900: a container entry must be a JSON object' '{"lxc_configs": {"900": []}}'
bad "memory_mb is text" 'lxc_configs.900: "memory_mb" must be' '{"lxc_configs": {"900": {"memory_mb": "lots"}}}'
bad "cores out of range" 'lxc_configs.900: "cores": 0 is out of range' '{"lxc_configs": {"900": {"cores": 0}}}'
bad "is_template is a string" 'lxc_configs.900: "is_template" must be true or false' '{"lxc_configs": {"900": {"is_template": "yes"}}}'
bad "mac is multicast" 'lxc_configs.900: "mac_address" must be' '{"lxc_configs": {"900": {"mac_address": "01:00:5e:00:00:01"}}}'
bad "clone_from_ctid is a name" 'lxc_configs.900: "clone_from_ctid" must be' '{"lxc_configs": {"900": {"clone_from_ctid": "web"}}}'
bad "a key that is not a CTID" 'lxc_configs: "web" is not a container id' '{"lxc_configs": {"web": {}}}'
bad "CTID 99" 'lxc_configs: "99" is not a container id' '{"lxc_configs": {"99": {}}}'
bad "CTID 0900" 'lxc_configs: "0900" is not a container id' '{"lxc_configs": {"0900": {}}}'
bad "CTID too large" 'lxc_configs: "1000000000" is not a container id' '{"lxc_configs": {"1000000000": {}}}'
bad "self clone" '900 cannot clone from itself' '{"lxc_configs": {"900": {"clone_from_ctid": "900"}}}'
bad "two-entry cycle" 'clone cycle: 900 clones from 901, which leads back to 900' \
	'{"lxc_configs": {"900": {"clone_from_ctid": "901"}, "901": {"clone_from_ctid": 900}}}'
bad "cycle behind a chain" 'clone chain from 900 does not end (a cycle among its sources)' \
	'{"lxc_configs": {"100": {"clone_from_ctid": "900"}, "900": {"clone_from_ctid": "901"}, "901": {"clone_from_ctid": "902"}, "902": {"clone_from_ctid": "900"}}}'
rm -f "$CFG"; mkdir "$CFG"; refuse "a directory" "Is a directory"; rmdir "$CFG"
mkfifo "$CFG"; refuse "a FIFO (must not hang)" "not a regular file"; rm -f "$CFG"
echo '{"lxc_configs": {}}' >"$CFG"; chmod 600 "$CFG"; chmod o+x "$W"
# root reads anything: the unreadable case runs as nobody
before=$(sum "$CFG")
check_fails "unreadable file (as nobody): refused" "cannot mount: $CFG: Permission denied" \
	timeout 10 setpriv --reuid=65534 --regid=65534 --clear-groups "$PHOENIXFS" -f "$CFG" "$MNT"
expect_eq "  file untouched" "$before" "$(sum "$CFG")"
check_fails "a directory that does not exist" "c.json: the directory of the config file: No such file" \
	timeout 10 "$PHOENIXFS" -f "$W/nodir/c.json" "$MNT"

# --- accepted: things only the backend can judge, and a missing file ---
printf '{"lxc_configs": {"103": {"clone_from_ctid": "555"}}, "mine": [1.5e3, "x"]}' >"$CFG"
before=$(sum "$CFG")
phx_mount || exit 1
check "a clone source with no entry mounts (the backend may have it)" test -d "$MNT/103"
phx_umount
expect_eq "  mount and unmount never rewrite the file" "$before" "$(sum "$CFG")"
rm -f "$CFG"
phx_mount || exit 1
check "a missing file mounts empty" test -f "$MNT/status"
check "  and is not created by mounting" test ! -e "$CFG"
phx_umount

# --- outside edits that break the file while mounted ---
cp "$PHX_SOURCE/tests/data/phoenix_lxc_configs.json" "$CFG"
phx_mount || exit 1
printf '{"lxc_configs": {"900": {' >"$W/broken"
mv "$W/broken" "$CFG"
before=$(sum "$CFG")
wait_for "a write after a broken outside edit is refused" 5 bash -c "! echo 4096 > '$MNT/900/memory_mb'"
check_fails "  with EIO" "Input/output error" bash -c "echo 4096 > '$MNT/900/memory_mb'"
check "  the error file says the file is broken" grep -q "not valid JSON" "$MNT/900/error"
check "  the last good tree still reads" grep -qx 2048 "$MNT/900/memory_mb"
expect_eq "  the broken file is left as it is" "$before" "$(sum "$CFG")"
cp "$PHX_SOURCE/tests/data/phoenix_lxc_configs.json" "$W/fixed"; mv "$W/fixed" "$CFG"
wait_for "once fixed outside, writes work again" 5 bash -c "echo 4096 > '$MNT/900/memory_mb'"
check "  and land" grep -q '"memory_mb": 4096' "$CFG"
check "phoenixfs still running" kill -0 "$PHX_PID"
phx_umount
done_testing
