# Shell helpers to run pvesim in tests. Source this file (bash).
#
#   pvesim_start DIR PORT [extra pvesim args...]
#       Starts pvesim in the background with state in DIR (created if
#       missing; an existing state is kept, so a second start is a restart)
#       on 127.0.0.1:PORT. PORT 0 picks a free port in
#       PVESIM_PORT_MIN..PVESIM_PORT_MAX (default 18050..18099).
#       Test-friendly defaults come first and extra args override them:
#       --task-ms 50 --stats-lag-ms 0 --auth-delay-ms 100, and
#       --pve-version $PVESIM_VERSION when that is set (8 or 9).
#       Waits (polling its log for the "listening" line, 30 s deadline)
#       until it accepts connections, then sets:
#         PVESIM_URL          https://127.0.0.1:PORT
#         PVESIM_PORT         the port
#         PVESIM_TOKEN_FILE   DIR/token   (root@pam!phoenixfs=SECRET, 0600)
#         PVESIM_TOKEN        its content
#         PVESIM_FINGERPRINT  SHA-256 colon hex of the certificate
#         PVESIM_FINGERPRINT_FILE  DIR/fingerprint
#         PVESIM_CERT         DIR/cert.pem (usable as a CA file)
#         PVESIM_PID          process id
#         PVESIM_LOG          DIR/pvesim.log (stderr: one line per request)
#       Returns non-zero (and prints the log) if it does not come up.
#   pvesim_stop            SIGTERM, wait for the exit (state is saved).
#   pvesim_kill            SIGKILL, as a crash.
#   pvesim_api METHOD PATH [curl args...]
#       curl with the token; PATH below /api2/json (e.g. /version). Prints
#       the body. The HTTP status goes to PVESIM_STATUS and, since a
#       $(...) subshell loses variables, also to DIR/last_status, which
#       pvesim_last_status prints.
#   pvesim_last_status     HTTP status of the last pvesim_api call.
#   pvesim_call METHOD PATH [curl args...]
#       Like pvesim_api but prints "STATUS BODY" on one line.
#   pvesim_wait_task UPID [TIMEOUT_S]
#       Polls the task until it stops; prints its exitstatus.
#
# PVESIM_BIN overrides the binary (default $PHX_BUILD/backend/pvesim/pvesim).

PVESIM_PORT_MIN=${PVESIM_PORT_MIN:-18050}
PVESIM_PORT_MAX=${PVESIM_PORT_MAX:-18099}

_pvesim_bin() {
	if [ -n "${PVESIM_BIN:-}" ]; then
		echo "$PVESIM_BIN"
	elif [ -n "${PHX_BUILD:-}" ]; then
		echo "$PHX_BUILD/backend/pvesim/pvesim"
	else
		echo "pvesim"
	fi
}

_pvesim_port_busy() {
	# something already listening there?
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

_pvesim_try() { # DIR PORT args...
	local dir=$1 port=$2 deadline
	shift 2
	: >"$dir/pvesim.log"
	# PVESIM_VERSION=8|9 runs a whole suite against that release; an
	# explicit --pve-version among the args still wins
	"$(_pvesim_bin)" --state "$dir" --listen "127.0.0.1:$port" \
		--task-ms 50 --stats-lag-ms 0 --auth-delay-ms 100 \
		${PVESIM_VERSION:+--pve-version "$PVESIM_VERSION"} "$@" \
		2>>"$dir/pvesim.log" &
	PVESIM_PID=$!
	deadline=$((SECONDS + 30))
	while [ $SECONDS -lt $deadline ]; do
		if ! kill -0 "$PVESIM_PID" 2>/dev/null; then
			wait "$PVESIM_PID" 2>/dev/null
			return 2
		fi
		# the line is printed once the socket listens; no request is made,
		# so fault injection cannot block the start or shift seeded draws
		grep -q "pvesim: listening on" "$dir/pvesim.log" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}

pvesim_start() {
	local dir=$1 port=$2 rc p
	shift 2
	mkdir -p "$dir" || return 1
	if [ "$port" = 0 ]; then
		for ((p = PVESIM_PORT_MIN; p <= PVESIM_PORT_MAX; p++)); do
			_pvesim_port_busy "$p" && continue
			_pvesim_try "$dir" "$p" "$@"
			rc=$?
			[ $rc = 0 ] && { port=$p; break; }
			# lost a race for the port: try the next one
			grep -q "cannot listen" "$dir/pvesim.log" 2>/dev/null && continue
			break
		done
	else
		_pvesim_try "$dir" "$port" "$@"
		rc=$?
	fi
	if [ "${rc:-1}" != 0 ]; then
		echo "pvesim did not come up (rc $rc); log:" >&2
		cat "$dir/pvesim.log" >&2
		[ -n "${PVESIM_PID:-}" ] && kill "$PVESIM_PID" 2>/dev/null
		return 1
	fi
	PVESIM_PORT=$port
	PVESIM_URL="https://127.0.0.1:$port"
	PVESIM_TOKEN_FILE="$dir/token"
	PVESIM_TOKEN=$(cat "$dir/token")
	PVESIM_FINGERPRINT_FILE="$dir/fingerprint"
	PVESIM_FINGERPRINT=$(cat "$dir/fingerprint")
	PVESIM_CERT="$dir/cert.pem"
	PVESIM_LOG="$dir/pvesim.log"
	PVESIM_DIR=$dir
	export PVESIM_URL PVESIM_PORT PVESIM_TOKEN_FILE PVESIM_TOKEN \
		PVESIM_FINGERPRINT PVESIM_FINGERPRINT_FILE PVESIM_CERT PVESIM_LOG \
		PVESIM_PID PVESIM_DIR
	echo "pvesim up at $PVESIM_URL (pid $PVESIM_PID); token in $PVESIM_TOKEN_FILE, fingerprint $PVESIM_FINGERPRINT" >&2
}

pvesim_stop() {
	[ -n "${PVESIM_PID:-}" ] || return 0
	kill -TERM "$PVESIM_PID" 2>/dev/null
	wait "$PVESIM_PID" 2>/dev/null
	PVESIM_PID=
}

pvesim_kill() {
	[ -n "${PVESIM_PID:-}" ] || return 0
	kill -KILL "$PVESIM_PID" 2>/dev/null
	wait "$PVESIM_PID" 2>/dev/null
	PVESIM_PID=
}

pvesim_api() {
	local method=$1 path=$2 out
	shift 2
	out=$(curl -sk -X "$method" -w '\n%{http_code}' \
		-H "Authorization: PVEAPIToken=$PVESIM_TOKEN" "$@" \
		"$PVESIM_URL/api2/json$path")
	PVESIM_STATUS=${out##*$'\n'}
	echo "$PVESIM_STATUS" >"$PVESIM_DIR/last_status"
	printf '%s\n' "${out%$'\n'*}"
}

pvesim_last_status() {
	cat "$PVESIM_DIR/last_status" 2>/dev/null
}

pvesim_call() {
	local body
	body=$(pvesim_api "$@"; echo "$PVESIM_STATUS")
	printf '%s %s\n' "${body##*$'\n'}" "${body%$'\n'*}"
}

pvesim_wait_task() {
	local upid=$1 timeout=${2:-30} node enc deadline body
	node=$(echo "$upid" | cut -d: -f2)
	enc=$(printf '%s' "$upid" | jq -sRr @uri)
	deadline=$((SECONDS + timeout))
	while [ $SECONDS -lt $deadline ]; do
		body=$(pvesim_api GET "/nodes/$node/tasks/$enc/status")
		if [ "$(echo "$body" | jq -r .data.status)" = stopped ]; then
			echo "$body" | jq -r .data.exitstatus
			return 0
		fi
		sleep 0.05
	done
	echo "timeout waiting for $upid" >&2
	return 1
}
