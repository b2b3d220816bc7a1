#!/bin/bash
# Nothing written is lost silently: a key network_config knows is created
# by writing it (not kept as a scratch file and dropped), a listing never
# shows a name twice, and an entry key named like one of the container
# directory's own files is refused at the write (it could not be shown).
. "$(dirname "$0")/../lib.sh"
phx_setup keys
phx_mount || exit 1

key() { /usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))["lxc_configs"].get(sys.argv[2],{})
for k in sys.argv[3].split("/"): d = d.get(k, "<absent>") if isinstance(d, dict) else "<absent>"
print(json.dumps(d))' "$CFG" "$1" "$2"; }
listed() { ls -a "$MNT/$1" | grep -cx "$2"; }

# --- a known key created by writing it ---
check "mkdir 140" mkdir "$MNT/140"
check "mkdir 140/network_config" mkdir "$MNT/140/network_config"
check "echo '\"eth0\"' > 140/network_config/name (absent) succeeds" \
	bash -c "echo '\"eth0\"' > '$MNT/140/network_config/name'"
expect_eq "  and stores it in the file" '"eth0"' "$(key 140 network_config/name)"
expect_eq "  reading it back" '"eth0"' "$(cat "$MNT/140/network_config/name")"
check "printf without a newline stores it at close" \
	bash -c "printf '%s' '\"vmbr0\"' > '$MNT/140/network_config/bridge'"
expect_eq "  bridge stored" '"vmbr0"' "$(key 140 network_config/bridge)"
cp "$CFG" "$W/before.json"
check_fails "a bad value for a known absent key is refused" "Invalid argument" \
	bash -c "echo '\"not an ip\"' > '$MNT/140/network_config/gw'"
check "  the file is unchanged" cmp "$CFG" "$W/before.json"
expect_eq "  and no name is left behind" 0 "$(listed 140/network_config gw)"
check "python's open('w') creates a known key too" /usr/bin/python3 -c \
	"open('$MNT/140/network_config/ip', 'w').write('\"10.0.0.40/24\"\n')"
expect_eq "  ip stored" '"10.0.0.40/24"' "$(key 140 network_config/ip)"
# an editor's temporary file there is still a scratch file, never stored
check "a temporary file in network_config is a scratch file" \
	bash -c "echo tmp > '$MNT/140/network_config/.name.swp'"
expect_eq "  not in the file" '"<absent>"' "$(key 140 network_config/.name.swp)"
check "  removed again" rm "$MNT/140/network_config/.name.swp"

# --- a listing never shows a name twice ---
check "a scratch file 'foo' in 103/network_config" bash -c "echo 1 > '$MNT/103/network_config/foo'"
check "config.json of 140 written with network_config.name" \
	bash -c "echo '{\"network_config\":{\"name\":\"eth1\",\"foo\":\"x\"}}' > '$MNT/140/config.json'"
expect_eq "ls 140/network_config shows name once" 1 "$(listed 140/network_config name)"
check "config.json of 103 gets network_config.foo" /usr/bin/python3 -c "
import json
p = '$MNT/103/config.json'
d = json.load(open(p)); d['network_config']['foo'] = 'x'
open(p, 'w').write(json.dumps(d) + '\n')"
expect_eq "ls 103/network_config shows foo once (key over scratch file)" 1 "$(listed 103/network_config foo)"
expect_eq "  and reading it gives the key" '"x"' "$(cat "$MNT/103/network_config/foo")"
ls -a "$MNT/103" | sort > "$W/ls103"
expect_eq "ls 103 has no name twice" "" "$(uniq -d "$W/ls103")"

# --- entry keys named like the directory's own files: refused ---
for k in status log ctl error wait drift config.json clone_from; do
	cp "$CFG" "$W/before.json"
	check_fails "config.json with a key \"$k\" is refused" "Invalid argument" \
		bash -c "echo '{\"name\":\"ca\",\"$k\":1}' > '$MNT/140/config.json'"
	check "  the file is unchanged" cmp "$CFG" "$W/before.json"
done
check "  error says why" grep -q 'has the name of a file of the container directory' "$MNT/140/error"
cp "$CFG" "$W/before.json"
/usr/bin/python3 - "$CFG" "$W/doc.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["lxc_configs"]["141"] = {"log": "x"}
open(sys.argv[2], "w").write(json.dumps(d, indent=4) + "\n")
PY
check_fails "the whole config.json with a new entry keyed \"log\" is refused" "Invalid argument" \
	cp "$W/doc.json" "$MNT/config.json"
check "  the file is unchanged" cmp "$CFG" "$W/before.json"
# a key another program put there stays; it shows in config.json only
/usr/bin/python3 - "$CFG" <<'PY'
import json, os, sys
p = sys.argv[1]
d = json.load(open(p))
d["lxc_configs"]["103"]["status"] = "from a script"
open(p + ".tmp", "w").write(json.dumps(d, indent=4) + "\n")
os.rename(p + ".tmp", p)
PY
wait_for "an outside edit adding a key \"status\" is read" 5 grep -q 'from a script' "$MNT/103/config.json"
expect_eq "  ls 103 shows status once" 1 "$(listed 103 status)"
check "  103/status is still the generated status" grep -qvx 'from a script' "$MNT/103/status"
check "  rewriting 103/config.json with that key kept is accepted" bash -c \
	"cat '$MNT/103/config.json' > '$W/e.json' && cp '$W/e.json' '$MNT/103/config.json'"
done_testing
