#!/bin/bash
# pvesim over HTTPS with curl: auth, envelope, reason phrases, bodies,
# two-phase rules, lock contention, faults, restart, cluster, certificate.
set -u
. "$(dirname "$0")/lib.sh"
export PVESIM_PORT_MIN=18000 PVESIM_PORT_MAX=18049
BASE=${PHX_BUILD:-/work/main/build-pvesim}/pvesim-it-https
rm -rf "$BASE"
mkdir -p "$BASE"
fails=0
ok() { echo "ok   - $1"; }
bad() { echo "FAIL - $1"; fails=$((fails + 1)); }
check() { # NAME GOT WANT
	if [ "$2" = "$3" ]; then ok "$1"; else bad "$1: got [$2] want [$3]"; fi
}
trap 'pvesim_kill' EXIT
DEB=local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst

# status line of a request: "CODE REASON"
status_line() { # METHOD PATH [curl args]
	local m=$1 p=$2
	shift 2
	curl -sk -o /dev/null -D - -X "$m" -H "Authorization: PVEAPIToken=$PVESIM_TOKEN" \
		"$@" "$PVESIM_URL/api2/json$p" | head -1 | tr -d '\r' | cut -d' ' -f2-
}
upid_of() { jq -r .data; }

# tasks of 400 ms (clones 800 ms): the concurrent-clone check below must
# reach pvesim while the first clone runs, also on a loaded machine
pvesim_start "$BASE/a" 0 --auth-delay-ms 300 --task-ms 400 || exit 1

# --- certificate, fingerprint, token ---
check "token file is owner-only" "$(stat -c %a "$PVESIM_TOKEN_FILE")" 600
case $PVESIM_TOKEN in root@pam\!phoenixfs=????????-????-4???-????-????????????) ok "token format";; *) bad "token format: $PVESIM_TOKEN";; esac
fp=$(openssl x509 -in "$PVESIM_CERT" -noout -fingerprint -sha256 | cut -d= -f2)
check "fingerprint file is the cert's SHA-256" "$PVESIM_FINGERPRINT" "$fp"
code=$(curl -s --cacert "$PVESIM_CERT" -o /dev/null -w '%{http_code}' \
	-H "Authorization: PVEAPIToken=$PVESIM_TOKEN" "$PVESIM_URL/api2/json/version")
check "cert verifies for 127.0.0.1 with itself as CA" "$code" 200
check "nodes carry the fingerprint" "$(pvesim_api GET /nodes | jq -r '.data[0].ssl_fingerprint')" "$fp"

# --- auth ---
t0=$(date +%s%N)
check "no token: 401 No ticket" "$(curl -sk -o /dev/null -D - "$PVESIM_URL/api2/json/version" | head -1 | tr -d '\r')" "HTTP/1.1 401 No ticket"
t1=$(date +%s%N)
[ $(((t1 - t0) / 1000000)) -ge 300 ] && ok "401 is delayed" || bad "401 came after $(((t1 - t0) / 1000000)) ms"
check "wrong token: 401 Authentication failed!" \
	"$(curl -sk -o /dev/null -D - -H 'Authorization: PVEAPIToken=root@pam!phoenixfs=nope' "$PVESIM_URL/api2/json/version" | head -1 | tr -d '\r')" \
	"HTTP/1.1 401 Authentication failed!"
check "401 body is empty" "$(curl -sk "$PVESIM_URL/api2/json/version" | wc -c)" 0
check "version" "$(pvesim_api GET /version | jq -r .data.version)" 9.2.11

# --- envelope and errors ---
out=$(pvesim_api GET /nodes/pve/lxc/999/config)
check "500 status" "$(pvesim_last_status)" 500
check "500 message keeps its newline" "$(echo "$out" | jq -c .message)" '"Configuration file '"'"'nodes/pve/lxc/999.conf'"'"' does not exist\n"'
check "500 reason phrase is the message's first line" "$(status_line GET /nodes/pve/lxc/999/config)" \
	"500 Configuration file 'nodes/pve/lxc/999.conf' does not exist"
out=$(pvesim_api POST /nodes/pve/lxc -d vmid=abc -d ostemplate=$DEB)
check "400 status" "$(pvesim_last_status)" 400
check "400 errors object" "$(echo "$out" | jq -r .errors.vmid)" "type check ('integer') failed - got 'abc'"
check "400 message" "$(echo "$out" | jq -c .message)" '"Parameter verification failed.\n"'
check "400 reason" "$(status_line POST /nodes/pve/lxc -d vmid=abc)" "400 Parameter verification failed."
check "boolean must be 0/1 in forms" "$(pvesim_api POST /nodes/pve/lxc -d vmid=100 -d ostemplate=$DEB -d start=true | jq -r .errors.start)" \
	"type check ('boolean') failed - got 'true'"
check "body on GET: 501" "$(status_line GET /version -d x=1)" "501 Unexpected content for method 'GET'"
check "POST config not implemented" "$(pvesim_api POST /nodes/pve/lxc/100/config -d memory=1 | jq -r .message)" \
	"Method 'POST /nodes/pve/lxc/100/config' not implemented"
check "unknown node" "$(pvesim_api GET /nodes/nope/lxc | jq -r .message)" \
	"hostname lookup 'nope' failed - failed to get address info for: nope: Name or service not known"
check "nextid is a string" "$(pvesim_api GET /cluster/nextid | jq -r '.data|type')" string

# --- create (JSON body), config, template, clones ---
u=$(pvesim_api POST /nodes/pve/lxc -H 'Content-Type: application/json' \
	-d '{"vmid":900,"ostemplate":"'$DEB'","rootfs":"local-lvm:8","hostname":"base","memory":1024,"unprivileged":true,"net0":"name=eth0,bridge=vmbr0,ip=dhcp"}' | upid_of)
case $u in UPID:pve:????????:????????:????????:vzcreate:900:root@pam!phoenixfs:) ok "create returns a UPID";; *) bad "create UPID: $u";; esac
check "create lock is synchronous" "$(pvesim_api GET /cluster/resources?type=vm | jq -r '.data[]|select(.vmid==900)|.lock')" create
check "create task OK" "$(pvesim_wait_task "$u")" OK
check "JSON body applied" "$(pvesim_api GET /nodes/pve/lxc/900/config | jq -c '[.data.memory,.data.hostname,.data.unprivileged,.data.lock]')" '[1024,"base",1,null]'
check "PUT config (form)" "$(pvesim_api PUT /nodes/pve/lxc/900/config -d cores=2 -d tags=b,A; pvesim_last_status)" '{"data":null}
200'
check "PUT applied and tags normalised" "$(pvesim_api GET /nodes/pve/lxc/900/config | jq -c '[.data.cores,.data.tags]')" '[2,"a;b"]'
check "POST template answers null" "$(pvesim_api POST /nodes/pve/lxc/900/template)" '{"data":null}'
tries=0
while [ "$(pvesim_api GET /nodes/pve/lxc/900/config | jq -r .data.template)" != 1 ] && [ $tries -lt 200 ]; do
	sleep 0.05; tries=$((tries + 1))
done
check "template conversion completes" "$(pvesim_api GET /nodes/pve/lxc/900/config | jq -r .data.rootfs)" "local-lvm:base-900-disk-0,size=8G"
check "hidden vztemplate task is listed" "$(pvesim_api GET '/nodes/pve/tasks?typefilter=vztemplate&source=all' | jq -r '.data[0].status')" OK
u=$(pvesim_api POST /nodes/pve/lxc/900/clone -d newid=901 -d hostname=c1 | upid_of)
out=$(pvesim_api POST /nodes/pve/lxc/900/clone -d newid=902)
check "concurrent clone meets the disk lock" "$(pvesim_last_status) $(echo "$out" | jq -r .message)" "500 CT is locked (disk)"
check "linked clone OK" "$(pvesim_wait_task "$u")" OK
check "clone never a template" "$(pvesim_api GET /nodes/pve/lxc/901/config | jq -r '.data.template // "none"')" none
check "start of template fails in the task" \
	"$(pvesim_wait_task "$(pvesim_api POST /nodes/pve/lxc/900/status/start | upid_of)")" "you can't start a CT if it's a template"
check "storage + linked refused" "$(pvesim_api POST /nodes/pve/lxc/900/clone -d newid=902 -d storage=local-zfs | jq -r .message)" \
	"parameter 'storage' not allowed for linked clones"
check "task log" "$(pvesim_api GET "/nodes/pve/tasks/$(printf %s "$u" | jq -sRr @uri)/log" | jq -c '[.total,.data[-1].t]')" '[4,"TASK OK"]'
check "bad upid" "$(pvesim_api GET /nodes/pve/tasks/nonsense/status | jq -r .errors.upid)" "unable to parse worker upid"
check "storage content lists templates" "$(pvesim_api GET '/nodes/pve/storage/local/content?content=vztmpl' | jq -r '.data|length')" 2
pvesim_stop

# --- lock contention: a long conversion holds the config flock ---
pvesim_start "$BASE/b" 0 --task-ms 4000 --lock-timeout-ms 400 || exit 1
u=$(pvesim_api POST /nodes/pve/lxc -d vmid=100 -d ostemplate=$DEB -d rootfs=local-lvm:4 | upid_of)
pvesim_wait_task "$u" 40 >/dev/null
pvesim_api POST /nodes/pve/lxc/100/template >/dev/null
out=$(pvesim_api PUT /nodes/pve/lxc/100/config -d memory=1024)
check "flock timeout while converting" "$(pvesim_last_status) $(echo "$out" | jq -r .message)" \
	"500 can't lock file '/run/lock/lxc/pve-config-100.lock' - got timeout"
# --- kill -9 while the conversion runs, restart ---
u=$(pvesim_api POST /nodes/pve/lxc -d vmid=101 -d ostemplate=$DEB -d rootfs=local-lvm:4 | upid_of)
pvesim_kill
pvesim_start "$BASE/b" "$PVESIM_PORT" || exit 1
check "task running at death ends failed" "$(pvesim_wait_task "$u")" "unexpected status"
check "its create lock stays" "$(pvesim_api GET /nodes/pve/lxc/101/config | jq -c .data.lock)" '"create"'
check "locked CT refuses destroy" "$(pvesim_api DELETE /nodes/pve/lxc/101 | jq -r .message)" "CT is locked (create)"
pvesim_stop
"$(_pvesim_bin)" --state "$BASE/b" --unlock 101
check "--unlock (pct unlock)" "$?" 0
pvesim_start "$BASE/b" 0 || exit 1
check "lock cleared" "$(pvesim_api GET /nodes/pve/lxc/101/config | jq -c .data.lock)" null
pvesim_stop

# --- faults ---
pvesim_start "$BASE/c" 0 --faults http500=1 || exit 1
check "http500 fault" "$(status_line GET /version)" "500 Internal Server Error (pvesim fault injection)"
pvesim_stop
pvesim_start "$BASE/c" 0 --faults drop=1 || exit 1
curl -sk -H "Authorization: PVEAPIToken=$PVESIM_TOKEN" "$PVESIM_URL/api2/json/version" >/dev/null
check "drop fault closes the connection (curl 52)" "$?" 52
pvesim_stop
pvesim_start "$BASE/d" 0 --faults taskfail=1 || exit 1
check "taskfail fault" "$(pvesim_wait_task "$(pvesim_api POST /nodes/pve/lxc -d vmid=100 -d ostemplate=$DEB -d rootfs=local-lvm:4 | upid_of)")" \
	"unable to create CT 100 - simulated failure (pvesim fault injection)"
pvesim_stop
pvesim_start "$BASE/e" 0 --faults lock=1 || exit 1
check "lock fault" "$(pvesim_api POST /nodes/pve/lxc -d vmid=100 -d ostemplate=$DEB -d rootfs=local-lvm:4 | jq -r .message)" \
	"can't lock file '/run/lock/lxc/pve-config-100.lock' - got timeout"
pvesim_stop
pvesim_start "$BASE/f" 0 --faults slow=1:400 || exit 1
t0=$(date +%s%N); pvesim_api GET /version >/dev/null; t1=$(date +%s%N)
[ $(((t1 - t0) / 1000000)) -ge 400 ] && ok "slow fault" || bad "slow fault: $(((t1 - t0) / 1000000)) ms"
pvesim_stop
seq_of() {
	for _ in $(seq 16); do
		curl -sk -o /dev/null -w '%{http_code}' -H "Authorization: PVEAPIToken=$PVESIM_TOKEN" \
			"$PVESIM_URL/api2/json/version"
	done
}
pvesim_start "$BASE/g" 0 --faults http500=0.5 --seed 9 || exit 1
s1=$(seq_of); pvesim_stop
pvesim_start "$BASE/g" 0 --faults http500=0.5 --seed 9 || exit 1
s2=$(seq_of); pvesim_stop
check "faults reproducible with a seed" "${s1:-x}" "${s2:-y}"
case ${s1:-} in *500*200*|*200*500*) ok "seeded faults hit some requests";; *) bad "seeded faults: $s1";; esac

# --- old-style errors without message ---
pvesim_start "$BASE/h" 0 --no-message-field || exit 1
check "no message field" "$(pvesim_api GET /nodes/pve/lxc/1000/config | jq -c .)" '{"data":null}'
check "reason still carries the text" "$(status_line GET /nodes/pve/lxc/1000/config)" \
	"500 Configuration file 'nodes/pve/lxc/1000.conf' does not exist"
pvesim_stop

# --- cluster ---
pvesim_start "$BASE/i" 0 --node pve1 --node pve2 --storage local:dir \
	--storage local-lvm:lvmthin --storage shared:nfs || exit 1
check "two nodes" "$(pvesim_api GET /nodes | jq -r '[.data[].node]|join(",")')" pve1,pve2
pvesim_wait_task "$(pvesim_api POST /nodes/pve1/lxc -d vmid=100 -d ostemplate=$DEB -d rootfs=shared:4 | upid_of)" >/dev/null
check "vmid unique cluster-wide" "$(pvesim_api POST /nodes/pve2/lxc -d vmid=100 -d ostemplate=$DEB -d rootfs=local-lvm:4 | jq -r .message)" \
	"CT 100 already exists on node 'pve1'"
check "CT on another node" "$(pvesim_api GET /nodes/pve2/lxc/100/config | jq -r .message)" \
	"Configuration file 'nodes/pve2/lxc/100.conf' does not exist"
u=$(pvesim_api POST /nodes/pve1/lxc/100/clone -d newid=101 -d target=pve2 | upid_of)
check "clone to another node on shared storage" "$(pvesim_wait_task "$u")" OK
check "clone lives on the target" "$(pvesim_api GET /nodes/pve2/lxc | jq -r '.data[0].vmid')" 101
pvesim_stop

# --- PVE 9 (default) and PVE 8 (--pve-version 8): what differs ---
versioned() { # VERSION DIR
	local v=$1 dir=$2 u out
	pvesim_start "$dir" 0 --pve-version "$v" || exit 1
	check "pve$v: /version" "$(pvesim_api GET /version | jq -r .data.version)" "$( [ "$v" = 8 ] && echo 8.4.21 || echo 9.2.11)"
	check "pve$v: node version" "$(pvesim_api GET /nodes/pve/version | jq -r .data.release)" "$( [ "$v" = 8 ] && echo 8.4 || echo 9.2)"
	u=$(pvesim_api POST /nodes/pve/lxc -d vmid=200 -d ostemplate=$DEB -d rootfs=local-lvm:4 | upid_of)
	check "pve$v: create OK" "$(pvesim_wait_task "$u")" OK
	check "pve$v: unprivileged default" "$(pvesim_api GET /nodes/pve/lxc/200/config | jq -r '.data.unprivileged // 0')" \
		"$( [ "$v" = 8 ] && echo 0 || echo 1)"
	pvesim_wait_task "$(pvesim_api POST /nodes/pve/lxc/200/status/start | upid_of)" >/dev/null
	out=$(pvesim_api POST /nodes/pve/lxc/200/clone -d newid=201 -d full=1)
	check "pve$v: full clone of a running CT" "$(pvesim_last_status) $(echo "$out" | jq -r .message)" \
		"500 $( [ "$v" = 8 ] && echo "Cannot do full clones on a running container without snapshots" || echo "Full clone of a running container is only possible from a snapshot")"
	out=$(pvesim_api PUT /nodes/pve/lxc/200/config -d entrypoint=/sbin/init)
	check "pve$v: entrypoint" "$(pvesim_last_status)" "$( [ "$v" = 8 ] && echo 400 || echo 200)"
	pvesim_stop
}
versioned 9 "$BASE/v9"
versioned 8 "$BASE/v8"

# --- read-only endpoints peer clients call ---
pvesim_start "$BASE/j" 0 --storage local:dir:/srv/pve --storage local-lvm:lvmthin || exit 1
check "node status" "$(pvesim_api GET /nodes/pve/status | jq -r '.data.pveversion')" pve-manager/9.2.11/14a22df3
check "node network bridge" "$(pvesim_api GET '/nodes/pve/network?type=any_bridge' | jq -r '[.data[].iface]|join(",")')" vmbr0
check "cluster status local node" "$(pvesim_api GET /cluster/status | jq -c '[.data[]|[.type,.name,.local]]')" '[["node","pve",1]]'
check "storage path from --storage" "$(pvesim_api GET /storage/local | jq -r '.data|.path+" "+.content')" "/srv/pve backup,iso,vztmpl"
check "storage list" "$(pvesim_api GET /storage | jq -r '[.data[].storage]|join(",")')" local,local-lvm
check "unknown storage" "$(pvesim_api GET /storage/nope | jq -r .message)" "storage 'nope' does not exist"
check "node name with a dot" "$(pvesim_api GET /nodes/pve.lan/status | jq -r .errors.node)" \
	"invalid format - value does not look like a valid node name"

# --- form decoding, body limit, content type (pve-http-server AnyEvent.pm) ---
u=$(pvesim_api POST /nodes/pve/lxc -d vmid=300 -d ostemplate=$DEB -d rootfs=local-lvm:8 \
	--data-urlencode 'net0=name=eth0,bridge=vmbr0,ip=10.0.0.5/24' -d tags=Alpha -d tags=beta | upid_of)
check "create with repeated tags" "$(pvesim_wait_task "$u")" OK
check "repeated -list key joined" "$(pvesim_api GET /nodes/pve/lxc/300/config | jq -r .data.tags)" "alpha;beta"
check "repeated scalar key refused" "$(pvesim_api PUT /nodes/pve/lxc/300/config -d cores=1 -d cores=2 | jq -r .errors.cores)" \
	"type check ('integer') failed - got ARRAY"
check "unescaped = cuts the value as Perl's split does" \
	"$(pvesim_api PUT /nodes/pve/lxc/300/config -d features=nesting=1 | jq -r .errors.features)" \
	"invalid format - value without key, but schema does not define a default key"
check "query string overrides the body" \
	"$(pvesim_api PUT '/nodes/pve/lxc/300/config?memory=768' -d memory=1024 >/dev/null; pvesim_api GET /nodes/pve/lxc/300/config | jq -r .data.memory)" 768
head -c 600000 /dev/zero | tr '\0' a >"$BASE/big"
check "body over 512 KiB: 501" "$(status_line POST /nodes/pve/lxc --data-binary @"$BASE/big")" "501 for data too large"
check "other content type: 506" "$(status_line POST /nodes/pve/lxc -H 'Content-Type: text/plain' -d x=1)" \
	"506 upload 'Content-Type 'text/plain' not implemented"
check "ostemplate content type is sync" "$(pvesim_api POST /nodes/pve/lxc -d vmid=301 -d ostemplate=local:iso/x.iso -d rootfs=local-lvm:4 | jq -r .message)" \
	"unable to use volume local:iso/x.iso - content type needs to be 'vztmpl'"
check "unknown rootfs storage is sync" "$(pvesim_api POST /nodes/pve/lxc -d vmid=301 -d ostemplate=$DEB -d rootfs=nosuch:4 | jq -r .message)" \
	"storage 'nosuch' does not exist"
check "nothing made" "$(pvesim_api GET /nodes/pve/lxc/301/config | jq -r .message)" \
	"Configuration file 'nodes/pve/lxc/301.conf' does not exist"

# --- config formats, resize, snapshots by name, firewall, pending, interfaces ---
check "nameserver format" "$(pvesim_api PUT /nodes/pve/lxc/300/config -d nameserver=1.1.1 | jq -r .errors.nameserver)" \
	"invalid format - value does not look like a valid IP address"
check "features format" "$(pvesim_api PUT /nodes/pve/lxc/300/config --data-urlencode features=nesting=1,bogus=1 | jq -r .errors.features)" \
	"invalid format - invalid key in comma-separated list property: bogus"
check "resize grows" "$(pvesim_wait_task "$(pvesim_api PUT /nodes/pve/lxc/300/resize -d disk=rootfs --data-urlencode size=+2G | upid_of)")" OK
check "resized" "$(pvesim_api GET /nodes/pve/lxc/300/config | jq -r .data.rootfs)" "local-lvm:vm-300-disk-0,size=10G"
check "resize never shrinks" "$(pvesim_api PUT /nodes/pve/lxc/300/resize -d disk=rootfs -d size=4G | jq -r .message)" \
	"unable to shrink disk size"
pvesim_wait_task "$(pvesim_api POST /nodes/pve/lxc/300/snapshot -d snapname=s1 -d description=one | upid_of)" >/dev/null
check "snapshot/{name}" "$(pvesim_api GET /nodes/pve/lxc/300/snapshot/s1 | jq -c '[.data[].cmd]')" '["rollback","config"]'
pvesim_api PUT /nodes/pve/lxc/300/snapshot/s1/config -d description=two >/dev/null
check "snapshot config" "$(pvesim_api GET /nodes/pve/lxc/300/snapshot/s1/config | jq -r .data.description)" two
check "missing snapshot" "$(pvesim_api GET /nodes/pve/lxc/300/snapshot/s9/config | jq -r .message)" "snapshot 's9' does not exist"
pvesim_api POST /nodes/pve/lxc/300/firewall/rules -d type=in -d action=ACCEPT -d proto=tcp -d dport=22 -d enable=1 >/dev/null
check "firewall rule" "$(pvesim_api GET /nodes/pve/lxc/300/firewall/rules | jq -c '[.data[]|[.pos,.type,.action,.dport]]')" '[[0,"in","ACCEPT","22"]]'
check "firewall rule refused" "$(pvesim_api POST /nodes/pve/lxc/300/firewall/rules -d type=in -d action=MAYBE | jq -r .errors.action)" \
	"unknown action 'MAYBE'"
pvesim_api PUT /nodes/pve/lxc/300/firewall/options -d enable=1 -d policy_in=DROP >/dev/null
check "firewall options" "$(pvesim_api GET /nodes/pve/lxc/300/firewall/options | jq -c '[.data.enable,.data.policy_in]')" '[1,"DROP"]'
check "interfaces of a stopped CT" "$(pvesim_api GET /nodes/pve/lxc/300/interfaces | jq -c .data)" null
pvesim_wait_task "$(pvesim_api POST /nodes/pve/lxc/300/status/start | upid_of)" >/dev/null
check "interfaces of a running CT" "$(pvesim_api GET /nodes/pve/lxc/300/interfaces | jq -r '.data[1]|.name+" "+.inet')" "eth0 10.0.0.5/24"
pvesim_api PUT /nodes/pve/lxc/300/config -d searchdomain=lan >/dev/null
check "pending change of a running CT" "$(pvesim_api GET /nodes/pve/lxc/300/pending | jq -r '.data[]|select(.key=="searchdomain")|.pending')" lan
pvesim_stop

# --- users, API tokens with privilege separation, roles, ACLs ---
mkdir -p "$BASE/k"
cat >"$BASE/k/access.json" <<'EOJ'
{"users": {"ops@pve": {"tokens": {"limited": {"secret": "s-limited", "privsep": 1}}}},
 "acl": [{"path": "/vms", "ugid": "ops@pve", "role": "PVEVMAdmin", "propagate": 1},
         {"path": "/vms/100", "ugid": "ops@pve!limited", "role": "PVEVMUser", "propagate": 1}]}
EOJ
pvesim_start "$BASE/k" 0 || exit 1
pvesim_wait_task "$(pvesim_api POST /nodes/pve/lxc -d vmid=100 -d ostemplate=$DEB -d rootfs=local-lvm:4 | upid_of)" >/dev/null
lim() { curl -sk -o /dev/null -D - -X "$1" -H 'Authorization: PVEAPIToken=ops@pve!limited=s-limited' "${@:3}" \
	"$PVESIM_URL/api2/json$2" | head -1 | tr -d '\r' | cut -d' ' -f2-; }
check "privsep token: its ACL allows start" "$(lim POST /nodes/pve/lxc/100/status/start)" "200 OK"
check "privsep token: 403 names path and privilege" "$(lim PUT /nodes/pve/lxc/100/config -d memory=1024)" \
	"403 Permission check failed (/vms/100, VM.Config.Memory)"
check "privsep token: no VM.Allocate elsewhere" "$(lim POST /nodes/pve/lxc -d vmid=101 -d ostemplate=$DEB -d rootfs=local-lvm:4)" \
	"403 Permission check failed (/vms/101, VM.Allocate)"
check "token with a wrong secret" "$(curl -sk -o /dev/null -D - -H 'Authorization: PVEAPIToken=ops@pve!limited=nope' "$PVESIM_URL/api2/json/version" | head -1 | tr -d '\r')" \
	"HTTP/1.1 401 Authentication failed!"
pvesim_stop

# migration (pve-container API2/LXC.pm migrate_vm, LXC/Migrate.pm)
pvesim_start "$BASE/m" 0 --node pve --node pve2 --node pve3 --task-ms 200 || exit 1
tasklog() { pvesim_api GET "/nodes/pve/tasks/$(printf '%s' "$1" | jq -sRr @uri)/log?limit=0" | jq -r '.data[].t'; }
pvesim_wait_task "$(pvesim_api POST /nodes/pve/lxc -d vmid=100 -d ostemplate=$DEB -d rootfs=local-lvm:4 | upid_of)" >/dev/null
pvesim_wait_task "$(pvesim_api POST /nodes/pve/lxc/100/status/start | upid_of)" >/dev/null
check "migrate: target is local node" "$(pvesim_api POST /nodes/pve/lxc/100/migrate -d target=pve | jq -r .errors.target)" "target is local node."
check "migrate: unknown target" "$(status_line POST /nodes/pve/lxc/100/migrate -d target=pve7)" "500 no such cluster node 'pve7'"
check "migrate: running CT needs restart" "$(status_line POST /nodes/pve/lxc/100/migrate -d target=pve2)" \
	"500 can't migrate running container without --online or --restart"
u=$(pvesim_api POST /nodes/pve/lxc/100/migrate -d target=pve2 -d restart=1 | upid_of)
check "migrate: vzmigrate task" "$(echo "$u" | cut -d: -f2,6,7)" "pve:vzmigrate:100"
check "migrate: restart migration OK" "$(pvesim_wait_task "$u")" OK
check "migrate: config on the target" "$(pvesim_api GET /nodes/pve2/lxc/100/config | jq -r '[.data.rootfs, .data.lock // "none"]|join(" ")')" \
	"local-lvm:vm-100-disk-0,size=4G none"
check "migrate: gone from the source" "$(status_line GET /nodes/pve/lxc/100/config)" \
	"500 Configuration file 'nodes/pve/lxc/100.conf' does not exist"
check "migrate: running on the target" "$(pvesim_api GET /nodes/pve2/lxc/100/status/current | jq -r .data.status)" running
check "migrate: the task log" "$(tasklog "$u" | grep -c -e 'shutdown CT 100' -e 'start container on target node' -e 'migration finished successfully')" 3
curl -sk -o /dev/null -X POST -H "Authorization: PVEAPIToken=$PVESIM_TOKEN" "$PVESIM_URL/pvesim/offline/pve3"
pvesim_wait_task "$(pvesim_api POST /nodes/pve2/lxc/100/status/stop | upid_of)" >/dev/null
u=$(pvesim_api POST /nodes/pve2/lxc/100/migrate -d target=pve3 | upid_of)
check "migrate: offline target aborts" "$(pvesim_wait_task "$u")" "migration aborted"
check "migrate: the reason is in the log" "$(pvesim_api GET "/nodes/pve2/tasks/$(printf '%s' "$u" | jq -sRr @uri)/log?limit=0" | jq -r '.data[].t' | grep -o 'migration aborted (duration ..:..:..): .*' | sed 's/duration [0-9:]*/duration T/')" \
	"migration aborted (duration T): Can't connect to destination address using public key"
check "migrate: the CT stays" "$(pvesim_api GET /cluster/resources?type=vm | jq -r '.data[]|select(.vmid==100)|.node')" pve2
pvesim_stop

# storage.cfg `nodes` and each node's memory, as placement reads them
pvesim_start "$BASE/n" 0 --node pve --node pve2 --node pve3 --storage local:dir \
	--storage local-lvm:lvmthin --storage shared:nfs --storage-nodes local-lvm:pve,pve2 \
	--node-memory pve2:64 || exit 1
check "storage nodes: resources list local-lvm on pve and pve2 only" \
	"$(pvesim_api GET /cluster/resources?type=storage | jq -r '[.data[]|select(.storage=="local-lvm")|.node]|sort|join(",")')" "pve,pve2"
check "storage nodes: GET /storage shows nodes" "$(pvesim_api GET /storage/local-lvm | jq -r .data.nodes)" "pve,pve2"
check "storage nodes: create elsewhere is refused" "$(status_line POST /nodes/pve3/lxc -d vmid=100 -d ostemplate=$DEB -d rootfs=local-lvm:4)" \
	"500 storage 'local-lvm' is not available on node 'pve3'"
check "node memory: maxmem and the host's 1 GiB" \
	"$(pvesim_api GET /cluster/resources?type=node | jq -r '[.data[]|select(.node=="pve2")|.maxmem,.mem]|join(" ")')" "68719476736 1073741824"
pvesim_stop

echo "$fails failure(s)"
[ $fails = 0 ]
