#!/bin/bash
# git checkout of a tracked desired tree into a container directory (the
# work tree is 103/). For each changed path git unlinks it and creates it
# again with O_EXCL (docs/clients.md); phoenixfs sees the same process
# re-create what it just removed and replaces the value in place, so keys
# keep their order and a refused value leaves the config file as it was.
. "$(dirname "$0")/common.sh"
client_setup git
R=$W/repo
g() { git -C "$R" -c user.name=t -c user.email=t@example.org "$@"; }
G() { git --git-dir="$R/.git" --work-tree="$D" "$@"; }
mkdir -p "$R/network_config"
g init -q
tag() { # TAG memory_mb cores gpu_assignment ip
	echo "$2" > "$R/memory_mb"
	echo "$3" > "$R/cores"
	echo "\"$4\"" > "$R/gpu_assignment"          # a key outside the schema: JSON text
	echo "\"$5\"" > "$R/network_config/ip"        # a key inside an object
	g add -A && g commit -qm "$1" && g tag "$1"
}
tag v1 2048 2 nvidia 10.0.0.11/24
tag v2 3072 3 none 10.0.0.12/24
tag broken abc1 3 none 10.0.0.12/24
layout() { jq -c '.lxc_configs["103"] | keys_unsorted' "$CFG"; }
order=$(layout)

good "git checkout -f v1 -- ." 2048 G checkout -f v1 -- .
expect_eq "  cores" 2 "$(key 103 cores)"
expect_eq "  gpu_assignment (a key outside the schema)" '"nvidia"' "$(key 103 gpu_assignment)"
expect_eq "  network_config/ip" '"10.0.0.11/24"' \
	"$(jq -c '.lxc_configs["103"].network_config.ip' "$CFG")"
expect_eq "  every key keeps its place in the entry" "$order" "$(layout)"
check "  git sees the tracked files clean" G diff --quiet v1 -- .
expect_eq "  git status: nothing modified in the work tree" "" "$(G status --porcelain -uno | cut -c2 | tr -d " ")"
unchanged_by "the same checkout again" G checkout -f v1 -- .
check "  still clean" G diff --quiet v1 -- .
good "git checkout -f v2 -- ." 3072 G checkout -f v2 -- .
expect_eq "  git status: nothing modified in the work tree" "" "$(G status --porcelain -uno | cut -c2 | tr -d " ")"
bad "git checkout of a bad value" abc1 "error: unable to write file memory_mb" \
	G checkout -f broken -- memory_mb
expect_eq "  keys keep their place" "$order" "$(layout)"
done_testing
