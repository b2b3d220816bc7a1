#!/bin/bash
# The man pages are built, render without warnings, and name everything the
# project's file reference names: phoenixfs(8) every errno, state, file and
# ctl command of docs/files.md, and every option of --help; pvesim(1) every
# option of pvesim --help. The lists come from those sources themselves
# (doc_names.py), so a new file or option fails this test until the page
# documents it.
. "$(dirname "$0")/../lib.sh"
phx_setup man

HERE=$(cd "$(dirname "$0")" && pwd)

DOC=$PHX_SOURCE/docs/files.md

# Render as a reader sees it, as plain text: man -l, overstrikes removed,
# words hyphenated at line ends joined again (U+2010, or a plain '-' after a
# letter as in --task-\nms), all white space runs made one space so that
# names with spaces ("pvenode cert info") survive line breaks.
render() {
	MANWIDTH=120 man -l "$1" 2>"$W/render.err" | col -b |
		perl -CSD -0pe 's/\x{2010}\n\s*//g; s/([A-Za-z])-\n\s*/$1-/g; s/\s+/ /g'
}

# missing_names TEXT CATEGORY: print the names of CATEGORY not in TEXT;
# fails when docs/files.md yields no names at all
missing_names() {
	local names
	names=$("$HERE/doc_names.py" "$DOC" "$2") || return 1
	while IFS= read -r name; do
		grep -qF -- "$name" "$1" || printf '%s\n' "$name"
	done <<<"$names"
}

check_names() {
	local desc=$1 text=$2 cat=$3 n
	if ! missing_names "$text" "$cat" >"$W/missing" 2>"$W/names.err"; then
		nok "$desc"; sed 's/^/#   /' "$W/names.err"; return
	fi
	n=$("$HERE/doc_names.py" "$DOC" "$cat" | wc -l)
	if [ ! -s "$W/missing" ]; then ok "$desc ($n names)"; else
		nok "$desc"; sed 's/^/#   missing: /' "$W/missing"; fi
}

for page in docs/phoenixfs.8 docs/pvesim.1; do
	name=$(basename "$page")
	if [ ! -s "$PHX_BUILD/$page" ]; then
		nok "$name is built (scdoc installed?)"
		continue
	fi
	ok "$name is built"
	render "$PHX_BUILD/$page" >"$W/$name.txt"
	if [ -s "$W/render.err" ]; then
		nok "$name renders without warnings"; sed 's/^/#   /' "$W/render.err"
	else
		ok "$name renders without warnings"
	fi
	# the NAME line is what apropos/whatis index
	check "$name has a NAME line for whatis" grep -qE "NAME (phoenixfs|pvesim) - " "$W/$name.txt"
done

if [ -f "$W/phoenixfs.8.txt" ]; then
	P=$W/phoenixfs.8.txt
	check_names "phoenixfs(8) documents every errno" "$P" errnos
	check_names "phoenixfs(8) documents every state" "$P" states
	check_names "phoenixfs(8) documents every file" "$P" files
	check_names "phoenixfs(8) documents every ctl command" "$P" ctl
	# the check is not vacuous: a page without ELOOP is caught
	sed 's/ELOOP//g' "$P" >"$W/no-eloop.txt"
	missing_names "$W/no-eloop.txt" errnos >"$W/missing" 2>&1
	expect_eq "a page lacking ELOOP fails the errno check" ELOOP "$(cat "$W/missing")"
fi

# Every option phoenixfs --help prints is in the page as well.
# (--help ends with libfuse's own options, documented by libfuse)
"$PHOENIXFS" --help 2>&1 | sed '/^FUSE options:/,$d' >"$W/help.txt"
opts=$(grep -oE -- '-o [a-z_]+' "$W/help.txt" | sed 's/^-o //' | sort -u)
missing=()
for o in $opts; do grep -qF -- "$o" "$W/phoenixfs.8.txt" || missing+=("$o"); done
if [ -n "$opts" ] && [ ${#missing[@]} -eq 0 ]; then
	ok "phoenixfs(8) documents every option of --help ($(echo $opts | wc -w))"
else
	nok "phoenixfs(8) documents every option of --help"; printf '#   missing: %s\n' "${missing[@]}"
fi

# The same for pvesim --help, once pvesim is built.
PVESIM=$PHX_BUILD/backend/pvesim/pvesim
if [ -x "$PVESIM" ]; then
	opts=$("$PVESIM" --help 2>&1 | grep -oE -- '--[a-z][a-z-]+' | sort -u)
	missing=()
	for o in $opts; do grep -qF -- "$o" "$W/pvesim.1.txt" || missing+=("$o"); done
	if [ -n "$opts" ] && [ ${#missing[@]} -eq 0 ]; then
		ok "pvesim(1) documents every option of --help ($(echo $opts | wc -w))"
	else
		nok "pvesim(1) documents every option of --help"; printf '#   missing: %s\n' "${missing[@]}"
	fi
else
	_phx_n=$((_phx_n + 1)); echo "ok $_phx_n # SKIP pvesim is not built"
fi

done_testing
