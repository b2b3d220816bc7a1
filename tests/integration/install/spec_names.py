#!/usr/bin/python3
"""Print the names the man pages must mention, taken from SPEC.md itself.

usage: spec_names.py SPEC.md CATEGORY

Categories (one name per line on stdout):
  phoenixfs-options  every `code` token in the rows of the phoenixfs option
                     table (option names, their value forms, defaults)
  pvesim-options     the same for the pvesim option table
  errnos             every errno name (E[A-Z]+) anywhere in the document
  states             the state words of the States table
  files              root files, per-container attribute files and generated
                     files (the first column of their tables)
  ctl                the commands of the ctl file

Exits 1 when a category comes out empty: a SPEC.md whose layout changed must
fail the test, not pass it with nothing checked."""
import re
import sys


def sections(text):
    """Split into {heading text: body} at every markdown heading."""
    out, name, buf = {}, "", []
    for line in text.splitlines():
        m = re.match(r"^#+\s+(.*)", line)
        if m:
            out[name] = "\n".join(buf)
            name, buf = m.group(1).strip(), []
        else:
            buf.append(line)
    out[name] = "\n".join(buf)
    return out


def table_after(body, marker=None):
    """Rows of the first markdown table in body (after marker, if given)."""
    if marker is not None:
        i = body.find(marker)
        if i < 0:
            return []
        body = body[i:]
    rows, started = [], False
    for line in body.splitlines():
        if line.startswith("|"):
            started = True
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if all(re.fullmatch(r":?-+:?", c) for c in cells if c):
                continue
            rows.append(cells)
        elif started:
            break
    return rows[1:]  # without the header row


def codes(cell):
    return re.findall(r"`([^`]+)`", cell)


def main():
    spec, what = sys.argv[1], sys.argv[2]
    text = open(spec, encoding="utf-8").read()
    sec = sections(text)
    names = []
    if what == "phoenixfs-options":
        for row in table_after(sec.get("Mounting", "")):
            for cell in row:
                names += codes(cell)
    elif what == "pvesim-options":
        for row in table_after(sec.get("Mounting", ""), "pvesim ["):
            for cell in row:
                names += codes(cell)
    elif what == "errnos":
        names = re.findall(r"\bE[A-Z]{2,}\b", text)
    elif what == "states":
        for row in table_after(sec.get("States", "")):
            names += codes(row[0])
    elif what == "files":
        names += [re.split(r"\s", line.strip())[0].rstrip("/")
                  for line in re.search(r"```\nMOUNTPOINT/\n(.*?)```", text, re.S)
                  .group(1).splitlines() if not line.strip().startswith("<")]
        per_ct = sec.get("Per-container files", "")
        for row in table_after(per_ct) + table_after(per_ct, "Generated files:"):
            names += codes(row[0])
    elif what == "ctl":
        for row in table_after(sec.get("Per-container files", ""), "Generated files:"):
            if row and codes(row[0]) == ["ctl"]:
                names += codes(row[2])
    else:
        sys.exit("spec_names.py: unknown category " + what)
    seen = []
    for n in names:
        if n and n not in seen:
            seen.append(n)
    if not seen:
        sys.exit("spec_names.py: no %s found in %s" % (what, spec))
    print("\n".join(seen))


main()
