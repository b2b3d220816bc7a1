#!/usr/bin/python3
"""pvesim's core is layered one way (issue 11): no two files of the
simulation core may call each other, directly or through a cycle. Reads the
static library's symbol tables with nm: which member defines each global
symbol, which members use it. Fails naming the cycle."""
import subprocess
import sys


def members(lib):
    out = subprocess.run(["nm", lib], capture_output=True, text=True,
                         check=True).stdout
    defs, uses, cur = {}, {}, None
    for line in out.splitlines():
        if line.endswith(".o:"):
            cur = line[:-3].split("_pvesim_")[-1]
            uses[cur] = set()
            continue
        f = line.split()
        if cur is None or not f:
            continue
        if len(f) == 3 and f[1] in "TDRB":
            defs[f[2]] = cur
        elif len(f) == 2 and f[0] == "U":
            uses[cur].add(f[1])
    return defs, uses


def main():
    defs, uses = members(sys.argv[1])
    edges = {m: {defs[s] for s in u if s in defs and defs[s] != m}
             for m, u in uses.items()}
    state = {}

    def visit(m, path):
        state[m] = "open"
        for n in sorted(edges[m]):
            if state.get(n) == "open":
                cyc = path[path.index(n):] + [n]
                print("cycle: " + " -> ".join(cyc))
                sys.exit(1)
            if n not in state:
                visit(n, path + [n])
        state[m] = "done"

    for m in sorted(edges):
        if m not in state:
            visit(m, [m])
    if len(edges) < 10:
        print("expected the core's files, found only %s" % sorted(edges))
        sys.exit(1)
    for m in sorted(edges):
        print("%s -> %s" % (m, ", ".join(sorted(edges[m])) or "-"))
    print("ok: %d files, no cycle" % len(edges))


main()
