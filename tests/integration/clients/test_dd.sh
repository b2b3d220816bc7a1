#!/bin/bash
# dd in one-byte blocks: the value arrives in many WRITEs; it is checked once
# it is complete (ends in a newline), so a bad value fails the last write.
. "$(dirname "$0")/common.sh"
client_setup dd

good "dd bs=1" 2048 bash -c "printf '2048\n' | dd of='$A' bs=1 status=none"
good "dd bs=2" 3072 bash -c "printf '3072\n' | dd of='$A' bs=2 status=none"
good "dd bs=1 conv=notrunc over a value of the same length" 4096 \
	bash -c "printf '4096\n' | dd of='$A' bs=1 conv=notrunc status=none"
# refused at the first byte no number can hold: the error names what came
bad "dd bs=1 of a bad value" 1x "dd: error writing '$A': Invalid argument" \
	bash -c "printf '1x2\n' | dd of='$A' bs=1 status=none"
bad "dd bs=1 conv=notrunc of a bad value" 40x6 "dd: closing output file '$A': Invalid argument" \
	bash -c "printf 'x' | dd of='$A' bs=1 seek=2 conv=notrunc status=none"
unchanged_by "the same value again" bash -c "printf '4096\n' | dd of='$A' bs=1 status=none"
done_testing
