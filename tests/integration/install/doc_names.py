#!/usr/bin/python3
"""Print the names the man page must mention, taken from docs/files.md, the
project's own file reference.

usage: doc_names.py docs/files.md CATEGORY

Categories (one name per line on stdout):
  files   the first column of every table whose header starts with "path"
          or "file" (root files, attribute files, generated files)
  errnos  every errno name (E[A-Z]+) anywhere in the document
  states  the state words of the table headed "state"
  ctl     the commands of the table headed "command"

Exits 1 when a category comes out empty: a files.md whose layout changed
must fail the test, not pass it with nothing checked."""
import re
import sys


def tables(text):
    """Every markdown table as (header cells, rows of cells)."""
    out, rows = [], None
    for line in text.splitlines() + [""]:
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if rows is None:
                rows = [cells]
            elif not all(re.fullmatch(r":?-+:?", c) for c in cells if c):
                rows.append(cells)
        elif rows is not None:
            out.append((rows[0], rows[1:]))
            rows = None
    return out


def codes(cell):
    return re.findall(r"`([^`]+)`", cell)


def main():
    doc, what = sys.argv[1], sys.argv[2]
    text = open(doc, encoding="utf-8").read()
    names = []
    heads = {"files": ("path", "file"), "states": ("state",), "ctl": ("command",)}
    if what == "errnos":
        names = re.findall(r"\bE[A-Z]{2,}\b", text)
    elif what in heads:
        for header, rows in tables(text):
            if header and header[0].lower() in heads[what]:
                for row in rows:
                    # "<CTID>/" and the like are patterns, not names
                    names += [n.rstrip("/") for n in codes(row[0]) if "<" not in n]
        # files beside the config are listed for the default config name;
        # the man page writes CONFIG for it
        names = [re.sub(r"^\.phoenix_lxc_configs\.json\.", ".CONFIG.", n) for n in names]
    else:
        sys.exit("unknown category " + what)
    seen, out = set(), []
    for n in names:
        if n not in seen:
            seen.add(n)
            out.append(n)
    if not out:
        sys.exit("no %s found in %s" % (what, doc))
    print("\n".join(out))


main()
