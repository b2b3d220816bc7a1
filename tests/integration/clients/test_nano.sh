#!/bin/bash
# GNU nano 7, driven through tmux: OPEN(O_TRUNC), WRITE, FSYNC, FLUSH; no
# scratch file except its lock file .A.swp (Debian's nanorc sets locking),
# which it removes on exit. Errors show in the status line (docs/clients.md).
. "$(dirname "$0")/common.sh"
command -v tmux >/dev/null || { echo "1..0 # SKIP tmux not installed"; exit 0; }
client_setup nano
TMUX_SOCK=phx-nano-$$
PHX_CLEANUP="tmux -L $TMUX_SOCK kill-server 2>/dev/null"
tm() { tmux -L "$TMUX_SOCK" "$@"; }
screen_has() { tm capture-pane -p -t nano 2>/dev/null | grep -qF -- "$1"; }
saved_or_refused() { screen_has "[ Wrote 1 line ]" || screen_has "Error writing"; }
gone() { ! tm has-session -t nano 2>/dev/null; }
# poll SECONDS CMD...: wait for CMD to succeed, silently
poll() {
	local end=$(( $(date +%s) + $1 ))
	shift
	until "$@"; do
		[ "$(date +%s)" -ge "$end" ] && return 1
		sleep 0.05
	done
}

# nano_save VALUE: open A, replace its line with VALUE, save (^S), quit
# (^X); a refused save shows its error, then quit without saving.
nano_save() {
	tm new-session -d -s nano -x 120 -y 30 "nano '$A'" || return 1
	poll 10 screen_has "memory_mb" || { echo "nano did not start" >&2; return 1; }
	tm send-keys -t nano C-k "$1" C-s
	poll 10 saved_or_refused
	if screen_has "[ Wrote 1 line ]"; then
		tm send-keys -t nano C-x
		poll 10 gone
		return
	fi
	tm capture-pane -p -t nano | grep -F 'Error writing' >&2
	tm send-keys -t nano C-x
	poll 10 screen_has "Save modified buffer?" && tm send-keys -t nano n
	poll 10 gone || tm kill-session -t nano
	return 1
}

good "nano: ^K VALUE ^S ^X" 2048 nano_save 2048
bad "nano with a bad value" abc1 "Error writing $A: Invalid argument" nano_save abc1
good "nano again" 3072 nano_save 3072
unchanged_by "nano writing the same value" nano_save 3072
no_scratch "nano writing the same value"
done_testing
