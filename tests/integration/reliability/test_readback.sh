#!/bin/bash
# Everything the mount accepts, the mount can read back (issue 15, items 5
# and 6). (a) Writes the next load would refuse are refused with EINVAL and
# the reason in `error`, the file byte for byte unchanged and the mount
# remountable: a name that is not UTF-8 (mkdir, a new file), JSON nested
# past the limit the load has (32 levels: root, lxc_configs and the entry
# count), nested mkdirs past it. (b) Values phoenixfs does not know keep
# their bytes through saves of other values: beyond 64 bits, below
# INT64_MIN, a lone surrogate, in an entry nobody touched, beside the
# edited key and at the top level.
. "$(dirname "$0")/../lib.sh"
phx_setup readback

sum() { sha256sum <"$CFG"; }
# one write of the whole value, as echo does
nested() { local o c; o=$(printf '[%.0s' $(seq "$1")); c=$(printf ']%.0s' $(seq "$1")); echo "$o$c"; }

# refused DESC ERRTEXT CMD...: CMD fails with EINVAL, the reason is in
# 140/error, the file is unchanged
refused() {
	local desc=$1 text=$2 before; shift 2
	before=$(sum)
	check_fails "$desc: refused" "Invalid argument" "$@"
	if grep -qF -- "$text" "$MNT/140/error"; then ok "  $desc: error says '$text'"; else
		nok "  $desc: error lacks '$text'"; sed 's/^/#   /' "$MNT/140/error"; fi
	expect_eq "  $desc: file unchanged" "$before" "$(sum)"
}

# ---------- (a) ----------
# features (a list of names, lxc_keys.c) is refused for its depth before its own check
# a key phoenixfs does not know holds any JSON up to the limit
echo '{"lxc_configs": {"140": {"features": [], "deep": []}}}' >"$CFG"
phx_mount || exit 1
refused "mkdir of a name that is not UTF-8" "is not valid UTF-8" mkdir "$MNT/140/"$'\xff\xfe'
refused "a name cut inside a character" "is not valid UTF-8" mkdir "$MNT/140/"$'a\xc3'
# an entry's value sits at level 4: 29 more levels are the most that load
check "deep nested 29 deep (the limit) is stored" bash -c "$(declare -f nested); nested 29 > '$MNT/140/deep'"
refused "deep nested 30 deep" "nested more than 32 levels" bash -c "$(declare -f nested); nested 30 > '$MNT/140/deep'"
refused "features nested 31 deep (the report's)" "nested more than 32 levels" bash -c "$(declare -f nested); nested 31 > '$MNT/140/features'"
d=$MNT/140
for i in $(seq 28); do d=$d/k; mkdir "$d" || break; done
check "28 nested mkdirs inside an entry are stored" test -d "$d"
d=$d/k
check "the 29th (level 32) too" mkdir "$d"
refused "the 30th nested mkdir" "nested more than 32 levels" mkdir "$d/k"
check "the refused names are not there" sh -c "! ls -b '$MNT/140' | grep -q '377\\|303'"
phx_umount
check "the file is read by python's json" /usr/bin/python3 -c "import json,sys; json.load(open(sys.argv[1]))" "$CFG"
check "and by jq" jq -e '.lxc_configs["140"].deep' "$CFG"
phx_mount || exit 1
check "the remount reads what was accepted" test -d "$d"
expect_eq "  deep as written" "$(nested 29)" "$(jq -c '.lxc_configs["140"].deep' "$CFG")"
phx_umount

# ---------- (b) ----------
cat >"$CFG" <<'JSON'
{
    "top_big": 18446744073709551616,
    "top_list": [
        12345678901234567890,
        -9223372036854775809,
        "\ud800"
    ],
    "lxc_configs": {
        "103": {
            "name": "edited",
            "cores": 1,
            "u64": 12345678901234567890,
            "over": 18446744073709551616,
            "under": -9223372036854775809,
            "sur": "\ud800",
            "odd": [
                -0,
                "\/\u00E9\udc00x"
            ]
        },
        "104": {
            "name": "untouched",
            "u64": 12345678901234567890,
            "over": 18446744073709551616,
            "under": -9223372036854775809,
            "sur": "a\ud800b"
        }
    }
}
JSON
sed 's/"cores": 1,/"cores": 2,/' "$CFG" >"$W/expected"
cp "$CFG" "$W/original"
phx_mount || exit 1
expect_eq "103/over reads as written" "18446744073709551616" "$(cat "$MNT/103/over")"
check "echo 2 > 103/cores" sh -c "echo 2 > '$MNT/103/cores'"
if cmp "$W/expected" "$CFG" >"$W/cmp" 2>&1; then ok "every value nobody edited keeps its bytes (cmp)"; else
	nok "every value nobody edited keeps its bytes (cmp)"; diff "$W/expected" "$CFG" | sed 's/^/#   /'; fi
check "config.json through the mount is the file" cmp "$MNT/config.json" "$CFG"
check "echo 1 > 103/cores" sh -c "echo 1 > '$MNT/103/cores'"
check "  and back: the original bytes" cmp "$W/original" "$CFG"
check "104 rewritten whole (its config.json, as read)" sh -c "cat '$MNT/104/config.json' > '$W/104.json' && cp '$W/104.json' '$MNT/104/config.json'"
check "  still the original bytes" cmp "$W/original" "$CFG"
phx_umount
phx_mount || exit 1
check "remounted: the original bytes" cmp "$W/original" "$CFG"
phx_umount
done_testing
