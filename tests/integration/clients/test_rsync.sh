#!/bin/bash
# rsync 3, onto one attribute and as a whole desired tree (the way a user
# keeps desired/<CTID>/<file> in git and syncs it). Default mode writes a
# scratch .A.XXXXXX in the directory and renames it onto A (the rename
# carries the verdict); --inplace writes A itself and truncates after the
# data (docs/clients.md). Always -c: rsync's quick check (same size, same
# mtime second: skip) cannot see 1024 -> 2048, because an attribute's mtime
# is the document's and rsync cannot set it (docs/clients.md).
. "$(dirname "$0")/common.sh"
client_setup rsync
v() { echo "$2" > "$W/$1"; }
v v1 2048; v v2 3072; v v3 4096; v bad abc1; v bad2 abc2

good "rsync -c FILE A" 2048 rsync -c "$W/v1" "$A"
bad "rsync -c of a bad value" abc1 "-> \"memory_mb\": Invalid argument (22)" rsync -c "$W/bad" "$A"
check "  exit status 23" bash -c "rsync -c '$W/bad' '$A' 2>/dev/null; test \$? = 23"
expect_eq "rsync -c -i of the same value transfers nothing" "" "$(rsync -c -i "$W/v1" "$A")"
good "rsync -c --inplace" 3072 rsync -c --inplace "$W/v2" "$A"
bad "rsync -c --inplace of a bad value" abc2 "close failed on \"$A\": Invalid argument (22)" \
	rsync -c --inplace "$W/bad2" "$A"
check "  exit status 11" bash -c "rsync -c --inplace '$W/bad2' '$A' 2>/dev/null; test \$? = 11"
good "rsync -ac (owner, mode, times: accepted)" 4096 rsync -ac "$W/v3" "$A"

# --- a desired tree, kept in a directory of its own ---
T=$W/desired
mkdir -p "$T/103" "$T/900" "$T/950"
echo 1536 > "$T/103/memory_mb"
echo 3 > "$T/103/cores"
echo 4 > "$T/900/cores"
echo 1024 > "$T/950/swap_mb"   # 950 has no swap_mb yet: a new key
l900=$(ls -a "$MNT/900")
check "rsync -rc of the tree onto the mount" rsync -rc "$T/" "$MNT/"
expect_eq "  103/memory_mb" "1536" "$(key 103 memory_mb)"
expect_eq "  103/cores" "3" "$(key 103 cores)"
expect_eq "  900/cores" "4" "$(key 900 cores)"
expect_eq "  950/swap_mb, a new key" "1024" "$(key 950 swap_mb)"
expect_eq "  reads back" "1536 3 4 1024" \
	"$(echo $(cat "$MNT/103/memory_mb" "$MNT/103/cores" "$MNT/900/cores" "$MNT/950/swap_mb"))"
no_scratch "rsync -r in 103"
expect_eq "  no scratch file left in 900" "$l900" "$(ls -a "$MNT/900")"
check "  none in 950 either" bash -c "! ls -a '$MNT/950' | grep -q '^\.swap_mb'"
expect_eq "rsync -rc -i of the same tree transfers nothing" "" "$(rsync -rc -i "$T/" "$MNT/")"
echo 2560 > "$T/103/memory_mb"
expect_eq "rsync -rc -i after one change transfers that file only" ">fc.T...... 103/memory_mb" \
	"$(rsync -rc -i "$T/" "$MNT/")"
expect_eq "  applied" "2560" "$(key 103 memory_mb)"
echo 3 > "$T/900/cores"
check "rsync -ac of the tree (times, modes, owners accepted)" rsync -ac "$T/" "$MNT/"
expect_eq "  applied" "3" "$(key 900 cores)"
cp "$CFG" "$W/before.json"
expect_eq "  and again sends no file data (times are not stored, so -a sets them again)" "" \
	"$(rsync -ac -i "$T/" "$MNT/" | grep '^>' || true)"
check "  config file byte-for-byte unchanged" cmp "$W/before.json" "$CFG"
echo abc3 > "$T/103/memory_mb"
bad "rsync -rc of a tree holding a bad value" abc3 \
	"rename \"$MNT/103/.memory_mb." rsync -rc "$T/" "$MNT/"
done_testing
