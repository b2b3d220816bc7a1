# Shared by the client tests (one script per program). Source it, then
# client_setup NAME. Every test writes container 103's memory_mb (1024 in
# the sample) and checks, for each program:
#   good DESC VALUE CMD...   CMD succeeds; VALUE reads back through the
#                            mount and is memory_mb in the config file on
#                            disk; no scratch file is left in 103/
#   bad DESC BADVAL ERRTEXT CMD...
#                            CMD (writing BADVAL) fails with the program's
#                            own ERRTEXT; the config file is byte for byte
#                            what it was, the value reads as before, 103/error
#                            names BADVAL, no scratch file is left
#   key CTID KEY             KEY of CTID's entry in the config file, as
#                            compact JSON ("<absent>" when missing)
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

client_setup() {
	phx_setup "clients-$1"
	if ! phx_mount; then
		echo "Bail out! phoenixfs did not mount"
		exit 1
	fi
	D=$MNT/103
	A=$D/memory_mb
	LISTING=$(ls -a "$D")
}

key() {
	jq -c --arg c "$1" --arg k "$2" \
		'.lxc_configs[$c] | if has($k) then .[$k] else "<absent>" end' "$CFG"
}

# no_scratch DESC: the directory lists exactly what it listed at the start
no_scratch() {
	expect_eq "  $1: no scratch file left (ls -a)" "$LISTING" "$(ls -a "$D")"
}

good() {
	local desc=$1 val=$2
	shift 2
	check "$desc" "$@"
	expect_eq "  $desc: reads back" "$val" "$(cat "$A")"
	expect_eq "  $desc: in the config file" "$val" "$(key 103 memory_mb)"
	no_scratch "$desc"
}

bad() {
	local desc=$1 badval=$2 text=$3 old
	shift 3
	old=$(cat "$A")
	cp "$CFG" "$W/before.json"
	check_fails "$desc" "$text" "$@"
	check "  $desc: config file byte-for-byte unchanged" cmp "$W/before.json" "$CFG"
	expect_eq "  $desc: value unchanged" "$old" "$(cat "$A")"
	check "  $desc: error file names '$badval'" grep -qF "'$badval' is not" "$D/error"
	no_scratch "$desc"
}

# unchanged_by DESC CMD...: CMD succeeds and leaves the config file as it was
unchanged_by() {
	local desc=$1
	shift
	cp "$CFG" "$W/before.json"
	check "$desc" "$@"
	check "  $desc: config file byte-for-byte unchanged" cmp "$W/before.json" "$CFG"
}
