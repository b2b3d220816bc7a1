#!/bin/bash
# sed -i: scratch file sedXXXXXX in the directory, rename onto A; the rename
# carries the verdict (docs/clients.md).
. "$(dirname "$0")/common.sh"
client_setup sed

good "sed -i" 2048 sed -i 's/.*/2048/' "$A"
good "sed -i -e (second edit)" 3072 sed -i -e 's/2048/3072/' "$A"
bad "sed -i with a bad value" abc1 "sed: cannot rename $D/sed" sed -i 's/.*/abc1/' "$A"
check "  exit status 4" bash -c "sed -i 's/.*/abc1/' '$A'; test \$? = 4"
no_scratch "sed exit 4"
# -iSUFFIX first renames A to A.SUFFIX: values keep their names (EPERM)
cp "$CFG" "$W/before.json"
check_fails "sed -i.bak is refused (values keep their names)" \
	"sed: cannot rename $A: Operation not permitted" sed -i.bak 's/.*/4096/' "$A"
check "  config file byte-for-byte unchanged" cmp "$W/before.json" "$CFG"
no_scratch "sed -i.bak"
unchanged_by "sed -i that changes nothing" sed -i 's/x/y/' "$A"
done_testing
