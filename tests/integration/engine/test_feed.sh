#!/bin/bash
# One path for every change: the document's change feed. An edit of the
# config file by another program (jq + mv, as the origin's scripts do)
# reaches Proxmox exactly as a write through the mount does; an unchanged
# write asks for nothing; nameservers and searchdomain (one schema row
# each) reach Proxmox on create and on a change; bad network_config values
# are refused at the write.
set -u
. "$PHX_SOURCE/tests/integration/engine/lib.sh"

pvesim_start "$ENG_WORK/sim" 0 --task-ms 100 || bail "pvesim did not start"
cat >"$ENG_CONFIG" <<JSON
{
    "lxc_configs": {
        "900": {
            "name": "base",
            "template": "$OSTMPL",
            "storage_pool": "local-lvm",
            "is_template": true
        },
        "912": {
            "name": "ct912",
            "template": "$OSTMPL",
            "storage_pool": "local-lvm",
            "memory_mb": 512,
            "nameservers": "10.0.0.13, 1.1.1.1",
            "searchdomain": "lab.example.com",
            "network_config": {
                "name": "eth0",
                "bridge": "vmbr0",
                "ip": "10.0.0.12/24",
                "gw": "10.0.0.1",
                "tag": 10,
                "mtu": 1500,
                "firewall": false
            }
        },
        "914": {
            "name": "ct914",
            "template": "$OSTMPL",
            "storage_pool": "local-lvm",
            "unprivileged": false,
            "network_config": {
                "name": "eth0",
                "bridge": "vmbr0",
                "ip": "dhcp",
                "nameservers": "8.8.8.8"
            }
        }
    }
}
JSON
eng_mount

conf() { pvesim_api GET "/nodes/pve/lxc/$1/config${3:+?$3}" | jq -r ".data.$2 // empty"; }
conf_is() { [ "$(conf "$1" "$2" "${4:-}")" = "$3" ]; }
puts() { grep -c "PUT /api2/json/nodes/pve/lxc/$1/config" "$PVESIM_LOG"; }
grep_log() { grep -q -- "$1" "$2" || { sed "s/^/log: /" "$2" >&2; return 1; }; }
log_count() { grep -c -- "$2" "$ENG_MNT/$1/log"; }

# --- on create: the schema rows' parameters -------------------------------
check "create 912" bash -c "echo create > '$ENG_MNT/912/ctl'"
check "wait 912" timeout 60 cat "$ENG_MNT/912/wait"
expect_eq "912 running" running "$(cat "$W/out")"
expect_eq "create: nameserver (list separators as Proxmox stores them)" \
	"10.0.0.13 1.1.1.1" "$(conf 912 nameserver)"
expect_eq "create: searchdomain" lab.example.com "$(conf 912 searchdomain)"
expect_eq "create: unprivileged sent though the entry is silent" 1 "$(conf 912 unprivileged)"
check "create 914" bash -c "echo create > '$ENG_MNT/914/ctl'"
check "wait 914" timeout 60 cat "$ENG_MNT/914/wait"
expect_eq "create: nameserver from network_config.nameservers (the origin's layout)" \
	8.8.8.8 "$(conf 914 nameserver)"
expect_eq "create: unprivileged false makes a privileged container" "" "$(conf 914 unprivileged)"
net0_without_nameservers() { ! conf 914 net0 | grep -q nameservers; }
check "net0 carries no nameservers key" net0_without_nameservers

# --- an outside edit of an attribute: applied, origin in the log ---------
jq '.lxc_configs["912"].memory_mb = 65536' "$ENG_CONFIG" >"$W/tmp.json" &&
	mv "$W/tmp.json" "$ENG_CONFIG"
wait_for "jq + mv of memory_mb reaches Proxmox" 10 conf_is 912 memory 65536
check "log says where it came from" grep_log \
	"memory_mb: 512 -> 65536 (edited in the file by another program)" "$ENG_MNT/912/log"
expect_eq "the mount shows it" 65536 "$(cat "$ENG_MNT/912/memory_mb")"

# --- an unchanged write asks for nothing ---------------------------------
# A request from it would be merged into the next one for 912 and named in
# the log's "setting ..." line; that next one is a real change of cores.
n=$(puts 912)
check "write the value memory_mb already has" bash -c "echo 65536 > '$ENG_MNT/912/memory_mb'"
check "write the searchdomain it already has (config.json, whole entry)" bash -c \
	"cat '$ENG_MNT/912/config.json' > '$W/912.json' && cat '$W/912.json' > '$ENG_MNT/912/config.json'"
check "then change cores" bash -c "echo 3 > '$ENG_MNT/912/cores'"
wait_for "cores reaches Proxmox" 10 conf_is 912 cores 3
check "that request set cores alone" grep -q "setting cores on pve" "$ENG_MNT/912/log"
expect_eq "one config request in all" $((n + 1)) "$(puts 912)"

# --- nameservers and searchdomain changed on a running container ---------
check "echo nameservers" bash -c "echo '9.9.9.9 149.112.112.112' > '$ENG_MNT/912/nameservers'"
wait_for "nameserver reaches Proxmox" 10 conf_is 912 nameserver "9.9.9.9 149.112.112.112"
expect_eq "pending on the running container (applies at restart)" "10.0.0.13 1.1.1.1" \
	"$(conf 912 nameserver current=1)"
check "log: needs a restart" grep -q "nameservers: Proxmox keeps the new value pending until 912 starts again" \
	"$ENG_MNT/912/log"
jq '.lxc_configs["912"].searchdomain = "corp.example.org"' "$ENG_CONFIG" >"$W/tmp.json" &&
	mv "$W/tmp.json" "$ENG_CONFIG"
wait_for "searchdomain edited outside reaches Proxmox" 10 conf_is 912 searchdomain corp.example.org

# --- an outside edit adding an entry asks for its build ------------------
jq '.lxc_configs["913"] = {"name": "ct913", "clone_from_ctid": "900"}' "$ENG_CONFIG" >"$W/tmp.json" &&
	mv "$W/tmp.json" "$ENG_CONFIG"
wait_for "913 appears" 10 test -d "$ENG_MNT/913"
wait_for "913 is built from 900 (built and made a template first)" 60 status_is 913 running
expect_eq "900 is a template" template "$(eng_status 900)"
check "log of 913: entry added by another program" grep -q \
	"entry added (edited in the file by another program)" "$ENG_MNT/913/log"
# a clone's task carries its source's id (UPID ...:vzclone:900:...)
expect_eq "cloned once" 1 "$(eng_tasks pve vzclone 900)"
clones=$(log_count 913 "cloning 913")
check "rewrite clone_from with the value it has" bash -c "echo 900 > '$ENG_MNT/913/clone_from'"
expect_eq "settled at once: nothing asked" running "$(timeout 5 cat "$ENG_MNT/913/wait")"
expect_eq "no clone again" 1 "$(eng_tasks pve vzclone 900)"
expect_eq "no new clone in the log" "$clones" "$(log_count 913 "cloning 913")"

# --- the write that fixes a failed build resumes it ----------------------
check "mkdir 915" mkdir "$ENG_MNT/915"
check "a template the storage does not have" bash -c "echo local:vztmpl/nope.tar.zst > '$ENG_MNT/915/template'"
check_fails "wait 915: failed" "Input/output error" timeout 30 cat "$ENG_MNT/915/wait"
check "fix it by rewriting config.json" bash -c \
	"jq '.template = \"$OSTMPL\" | .storage_pool = \"local-lvm\"' '$ENG_MNT/915/config.json' > '$W/915.json' &&
	 cat '$W/915.json' > '$ENG_MNT/915/config.json'"
expect_eq "the fixed build runs to the end" running "$(timeout 60 cat "$ENG_MNT/915/wait")"
check "log: resumed by the write" grep_log "the failed build is resumed" "$ENG_MNT/915/log"

# --- bad network_config values: EINVAL, the reason in error, file kept ---
bad_net() {
	local key=$1 val=$2 why=$3
	cp "$ENG_CONFIG" "$W/before.json"
	check_fails "network_config/$key <- $val: EINVAL" "Invalid argument" \
		bash -c "printf '%s\\n' '$val' > '$ENG_MNT/912/network_config/$key'"
	check "  config file byte for byte unchanged" cmp "$W/before.json" "$ENG_CONFIG"
	check "  error says why" grep -qF "$why" "$ENG_MNT/912/error"
}
bad_net ip '"10.0.0.5"' "network_config.ip: '10.0.0.5' is not an IPv4 address with its prefix"
bad_net ip '"10.0.0.5/33"' "network_config.ip: '10.0.0.5/33'"
bad_net ip '"static"' "network_config.ip: 'static'"
bad_net gw '"300.1.1.1"' "network_config.gw: '300.1.1.1' is not an IPv4 address"
bad_net tag 0 "network_config.tag: '0' is not a VLAN tag, 1 to 4094"
bad_net tag 4095 "network_config.tag: '4095'"
bad_net mtu 63 "network_config.mtu: '63' is not an MTU, 64 to 65535"
bad_net mtu 65536 "network_config.mtu: '65536'"
bad_net firewall '"maybe"' "network_config.firewall: 'maybe' is not true or false"
bad_net bridge '"vm br0"' "network_config.bridge: 'vm br0' is not a bridge name"
bad_net name '"eth0;rm"' "network_config.name: 'eth0;rm' is not an interface name"
# keys the entry does not have yet, in a whole-entry write
bad_entry() {
	local key=$1 val=$2 why=$3
	cp "$ENG_CONFIG" "$W/before.json"
	jq ".network_config.$key = $val" "$ENG_MNT/912/config.json" >"$W/bad.json"
	check_fails "config.json with network_config.$key = $val: EINVAL" "Invalid argument" \
		bash -c "cat '$W/bad.json' > '$ENG_MNT/912/config.json'"
	check "  config file byte for byte unchanged" cmp "$W/before.json" "$ENG_CONFIG"
	check "  error says why" grep -qF "$why" "$ENG_MNT/912/error"
}
bad_entry ip6 '"fd00::5/129"' "network_config.ip6: 'fd00::5/129'"
bad_entry gw6 '"10.0.0.1"' "network_config.gw6: '10.0.0.1' is not an IPv6 address"
bad_entry rate -1 "network_config.rate: '-1' is not a rate limit"
bad_entry tag 5000 "network_config.tag: '5000' is not a VLAN tag"
cp "$ENG_CONFIG" "$W/before.json"
check_fails "nameservers <- 10.0.0.300: EINVAL" "Invalid argument" \
	bash -c "echo 10.0.0.300 > '$ENG_MNT/912/nameservers'"
check "  config file unchanged" cmp "$W/before.json" "$ENG_CONFIG"
check "  error says why" grep -qF "nameservers: '10.0.0.300' is not IP addresses" "$ENG_MNT/912/error"
# good values go through, and reach net0
check "network_config/tag <- 20" bash -c "echo 20 > '$ENG_MNT/912/network_config/tag'"
check "network_config/firewall <- true" bash -c "echo true > '$ENG_MNT/912/network_config/firewall'"
net0_has() { conf 912 net0 | grep -q "$1"; }
wait_for "net0 carries the new tag" 10 net0_has 'tag=20'
wait_for "net0 carries firewall=1" 10 net0_has 'firewall=1'
done_testing
