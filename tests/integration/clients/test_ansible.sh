#!/bin/bash
# Ansible (ansible-core from Debian), run locally against the mount:
# copy, template and lineinfile. All three write a scratch file
# .ansible_tmpXXXXXXXXmemory_mb in the directory (utimens + chmod on it)
# and rename it onto A; the rename carries the verdict. A second run with
# the same value reads A back, compares checksums and reports no change
# (docs/clients.md).
. "$(dirname "$0")/common.sh"
command -v ansible-playbook >/dev/null || { echo "1..0 # SKIP ansible not installed"; exit 0; }
client_setup ansible
export ANSIBLE_NOCOLOR=1 ANSIBLE_LOCALHOST_WARNING=False ANSIBLE_INVENTORY_UNPARSED_WARNING=False \
	ANSIBLE_HOME=$W/ansible ANSIBLE_LOCAL_TEMP=$W/ansible/tmp ANSIBLE_REMOTE_TEMP=$W/ansible/tmp \
	ANSIBLE_RETRY_FILES_ENABLED=False
printf '{{ value }}\n' > "$W/memory.j2"
play() { # NAME TASK-YAML
	printf -- '- hosts: localhost\n  gather_facts: false\n  tasks:\n    - %s\n' "$2" > "$W/$1.yml"
}
play copy 'ansible.builtin.copy: { dest: "{{ dest }}", content: "{{ value }}\n", mode: "0644" }'
play template "ansible.builtin.template: { src: \"$W/memory.j2\", dest: \"{{ dest }}\" }"
play lineinfile 'ansible.builtin.lineinfile: { path: "{{ dest }}", regexp: "^.*$", line: "{{ value }}" }'
# run PLAYBOOK VALUE: ansible-playbook, output kept for the recap checks
run() {
	ansible-playbook -i localhost, -c local "$W/$1.yml" -e "dest=$A" -e "value=$2" >"$W/ansible.out" 2>&1
	local rc=$?
	cat "$W/ansible.out"
	return $rc
}
recap() { grep -o 'changed=[0-9]*' "$W/ansible.out"; }

value=2048
for m in copy template lineinfile; do
	good "ansible $m" $value run $m $value
	expect_eq "  ansible $m reported a change" "changed=1" "$(recap)"
	unchanged_by "ansible $m again with the same value" run $m $value
	expect_eq "  ansible $m reported no change the second time" "changed=0" "$(recap)"
	bad "ansible $m with a bad value" "abc$m" \
		"failed final rename from b'$D/.ansible_tmp" run $m "abc$m"
	check "  the task failed with the rename's errno" \
		grep -qF "[Errno 22] Invalid argument" "$W/ansible.out"
	check "  and the play says failed=1" grep -q 'failed=1' "$W/ansible.out"
	value=$((value + 1024))
done
done_testing
