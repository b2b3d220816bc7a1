#!/bin/bash
# vim 9, non-interactive (-Es, docs/clients.md), swap files on (in the
# directory itself: 'directory' starts with "."), under each backupcopy:
#   -Es alone   stays 'compatible': backupcopy=yes (copy A to A~, write in place)
#   -N bkc=auto probes with 4913, renames A to A~ (refused: falls back to a
#               copy A~), removes A and writes it again, which phoenixfs
#               turns into a replacement in place; after a failed write it
#               renames A~ back onto A and nothing is left
#   -N bkc=no   as auto without the probe
#   -N bkc=yes  as -Es alone
# With backupcopy=yes vim keeps its backup A~ after a failed write on
# purpose ('writebackup'): that one scratch file, holding the old value, is
# the only thing left.
. "$(dirname "$0")/common.sh"
client_setup vim

# vim_write MODE VALUE: replace the line with VALUE and :wq
vim_write() {
	local mode=$1 val=$2 opts=(-Es -u NONE -i NONE) rc
	[ -n "$mode" ] && opts+=(-N -c "set bkc=$mode")
	rm -f "$W/vimerr"
	vim "${opts[@]}" -c "call writefile([swapname('%')], '$W/swapname')" -c "%s/.*/$val/" \
		-c "try|wq|catch|call writefile([v:exception], '$W/vimerr')|cq|endtry" "$A" </dev/null
	rc=$?
	[ -f "$W/vimerr" ] && cat "$W/vimerr" >&2
	return $rc
}

# vim_bad MODE BADVAL KEEPS_BACKUP
vim_bad() {
	local mode=$1 badval=$2 keeps=$3 old desc="vim ${1:-(compatible)} with a bad value"
	old=$(cat "$A")
	cp "$CFG" "$W/before.json"
	check_fails "$desc" "E514: Write error (file system full?)" vim_write "$mode" "$badval"
	check "  $desc: config file byte-for-byte unchanged" cmp "$W/before.json" "$CFG"
	expect_eq "  $desc: value unchanged" "$old" "$(cat "$A")"
	check "  $desc: error file names '$badval'" grep -qF "'$badval' is not" "$D/error"
	if [ "$keeps" = keeps-backup ]; then
		expect_eq "  $desc: vim kept its backup memory_mb~ with the old value" "$old" \
			"$(cat "$D/memory_mb~")"
		rm -f "$D/memory_mb~"
	fi
	no_scratch "$desc"
}

good "vim -Es (compatible: backupcopy=yes)" 2048 vim_write "" 2048
expect_eq "  the swap file was in the directory" "$D/.memory_mb.swp" "$(cat "$W/swapname")"
vim_bad "" abc1 keeps-backup
good "vim -N backupcopy=auto (default)" 3072 vim_write auto 3072
vim_bad auto abc2 no-backup
good "vim -N backupcopy=no" 4096 vim_write no 4096
vim_bad no abc3 no-backup
good "vim -N backupcopy=yes" 2048 vim_write yes 2048
vim_bad yes abc4 keeps-backup
for mode in "" auto no yes; do
	unchanged_by "vim ${mode:-(compatible)} writing the same value" vim_write "$mode" 2048
	no_scratch "vim ${mode:-(compatible)} writing the same value"
done
done_testing
