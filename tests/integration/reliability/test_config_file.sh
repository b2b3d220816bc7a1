#!/bin/bash
# The config file on disk (offline mounts):
# (a) a config that is a symbolic link (relative, through two links) is
#     written through: the links stay links, the final target gets the
#     value, no temporary file is left (issue 15.10);
# (b) temporary files of saves cut short by a kill are removed at mount:
#     only ".NAME.phx-XXXXXX" of this config, only regular files older
#     than a minute that no live writer locks; a fresh one, a locked one,
#     another file's and other names stay;
# (c) a second mount of the same file starting (and cleaning) while the
#     first saves in a loop costs the first no save;
# (d) renaming a scratch file onto a new CTID name is EPERM (containers are
#     made with mkdir), onto an existing container EISDIR; nothing changes.
. "$(dirname "$0")/../lib.sh"
phx_setup config_file

# ---------- (a) symlinked config ----------
mkdir -p "$W/real"
mv "$CFG" "$W/real/t.json"
ln -s real/t.json "$W/link1.json"
ln -s link1.json "$CFG"
phx_mount || exit 1
check "echo 4096 > 103/memory_mb through a link to a link" sh -c "echo 4096 > '$MNT/103/memory_mb'"
check "the config is still a link" test -L "$CFG"
expect_eq "  to the same place" link1.json "$(readlink "$CFG")"
check "the middle link is still a link" test -L "$W/link1.json"
check "the target is a regular file" sh -c "test -f '$W/real/t.json' && ! test -L '$W/real/t.json'"
expect_eq "the target has the new value" 4096 "$(jq '.lxc_configs["103"].memory_mb' "$W/real/t.json")"
expect_eq "the mount reads it back" 4096 "$(cat "$MNT/103/memory_mb")"
expect_eq "no temporary file beside the target or the link" "" \
	"$(ls -A "$W/real" "$W" | grep 'phx-' || true)"
phx_umount
rm "$CFG" "$W/link1.json"
mv "$W/real/t.json" "$CFG"

# ---------- (b) stale temporary files ----------
mk() { printf '{"half": ' >"$W/$1"; [ -n "${2:-}" ] && touch -d "$2" "$W/$1"; return 0; }
mk .phoenix_lxc_configs.json.phx-Ab12Cd '-2 minutes'     # left by a kill: goes
mk .phoenix_lxc_configs.json.phx-Zz99Yy '-10 days'       # goes
mk .phoenix_lxc_configs.json.phx-Fresh1                  # a save in progress: stays
mk .phoenix_lxc_configs.json.phx-Lockd1 '-2 minutes'     # locked by a live writer: stays
mk .other.json.phx-Ab12Cd '-2 minutes'                   # another file's: stays
mk .phoenix_lxc_configs.json.phx-TooLong7 '-2 minutes'   # not mkostemp's name: stays
mk phoenix_lxc_configs.json.phx-Ab12Cd '-2 minutes'      # no leading dot: stays
mkdir "$W/.phoenix_lxc_configs.json.phx-Dir123"          # a directory: stays
touch -d '-2 minutes' "$W/.phoenix_lxc_configs.json.phx-Dir123"
exec 9<"$W/.phoenix_lxc_configs.json.phx-Lockd1"
flock -x 9
touch -d '-2 minutes' "$W/.phoenix_lxc_configs.json.phx-Lockd1"
phx_mount || exit 1
left=$(cd "$W" && ls -A | grep 'phx-' | sort | tr '\n' ' ')
expect_eq "only the stale unlocked temporary files of this config are gone" \
	".other.json.phx-Ab12Cd .phoenix_lxc_configs.json.phx-Dir123 .phoenix_lxc_configs.json.phx-Fresh1 .phoenix_lxc_configs.json.phx-Lockd1 .phoenix_lxc_configs.json.phx-TooLong7 phoenix_lxc_configs.json.phx-Ab12Cd " \
	"$left"
check "the log says how many" grep -q "removed 2 temporary file" "$W/phoenixfs.log"
exec 9<&-
phx_umount
(cd "$W" && rm -rf .*.phx-* phoenix_lxc_configs.json.phx-*)

# ---------- (c) a second mount starting while the first saves ----------
phx_mount || exit 1
MNT2=$W/mnt2
mkdir -p "$MNT2"
# the second mount goes first on every exit path, before the work dir
trap 'rc=$?; fusermount3 -uz "$MNT2" 2>/dev/null; (exit $rc); _phx_cleanup' EXIT
( fails=0
  for i in $(seq 1 300); do echo $((1000 + i)) >"$MNT/103/memory_mb" 2>/dev/null || fails=$((fails + 1)); done
  echo $fails >"$W/writer.fails" ) &
writer=$!
mounts=0
while kill -0 "$writer" 2>/dev/null; do
	"$PHOENIXFS" -f "$CFG" "$MNT2" >>"$W/second.log" 2>&1 &
	p=$!
	until mountpoint -q "$MNT2" || ! kill -0 "$p" 2>/dev/null; do sleep 0.02; done
	fusermount3 -u "$MNT2" 2>/dev/null
	wait "$p"
	mounts=$((mounts + 1))
done
wait "$writer"
echo "#   the second mount started $mounts times during the writes"
check "the second mount started at least twice" test "$mounts" -ge 2
expect_eq "every one of the first mount's 300 saves succeeded" 0 "$(cat "$W/writer.fails")"
expect_eq "the last value is in the file" 1300 "$(jq '.lxc_configs["103"].memory_mb' "$CFG")"

# ---------- (d) a scratch file renamed onto a CTID name ----------
cp "$CFG" "$W/before"
echo '{}' >"$MNT/.new"
rename_errno() { /usr/bin/python3 -c 'import os,sys
try: os.rename(sys.argv[1], sys.argv[2]); print("ok")
except OSError as e: print(__import__("errno").errorcode[e.errno])' "$@"; }
expect_eq "mv .new 555 (a new CTID): EPERM" EPERM "$(rename_errno "$MNT/.new" "$MNT/555")"
expect_eq "mv .new 103 (a container): EISDIR" EISDIR "$(rename_errno "$MNT/.new" "$MNT/103")"
check "  555 was not made" test ! -e "$MNT/555"
check "  the config file is unchanged" cmp "$W/before" "$CFG"
check "  the scratch file is still there" test -f "$MNT/.new"
phx_umount
done_testing
