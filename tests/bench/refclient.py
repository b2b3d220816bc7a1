#!/usr/bin/python3
"""Reference client for the build benchmarks: builds a clone forest by
driving the Proxmox VE API directly, on the fastest schedule the API allows.

The forest: per node, one base template created from an OS template;
TEMPLATES templates cloned from it; PER containers cloned from each
template, each configured and started. With one node (--node, default
pve) the base is BASE, the templates BASE+1.., the containers FIRST_CT..;
with --nodes A,B,C there is one such tree per node, numbered on (node k's
base is BASE + k*(TEMPLATES+1), its containers follow node k-1's), so that
the build is spread over the cluster. Every clone runs on its source's node
(a linked clone stays beside its template).

The only ordering the API forces is kept: a clone needs its source to exist
(and, for a linked clone, to be a template), and clones from one source run
one at a time (the source holds the `disk` lock for the whole clone).
pvesim, like Proxmox, has no other limit on tasks running at once on a node
or a storage. Everything else overlaps: the trees of different nodes are
built at once, one thread per source clones its children back to back, and
each child's own work (PUT config, then convert or start) runs in a thread
of its own while the source goes on to the next clone. Tasks are polled
every --poll-ms, so the end of a step is seen at most that late.

Prints: "elapsed SECONDS serial SECONDS steps N", where serial is the sum
of every step's own duration (what a script doing one thing at a time,
like the shell scripts phoenixfs replaces, would take at best).

--print-config prints the same forest as a phoenix_lxc_configs.json instead
(bases with `node` when --nodes is given; templates and containers with
their `clone_from_ctid`), so that phoenixfs builds exactly this forest.

usage: refclient.py URL TOKEN_FILE [--templates K] [--per M] [--base ID]
                    [--first-ct ID] [--poll-ms N] [--node NAME | --nodes A,B,...]
       refclient.py --print-config [--templates K] [--per M] [--base ID]
                    [--first-ct ID] [--nodes A,B,...]
"""
import argparse
import json
import sys
import threading
import time

OSTEMPLATE = "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst"


def forest(nodes, templates, per, base, first_ct):
    """[(node, base, {source: [children]}, set of templates)] per node."""
    trees = []
    ct = first_ct
    for k, node in enumerate(nodes):
        b = base + k * (templates + 1)
        tmpl = [b + 1 + i for i in range(templates)]
        children = {b: tmpl}
        for t in tmpl:
            children[t] = list(range(ct, ct + per))
            ct += per
        trees.append((node, b, children, set(tmpl)))
    if base + len(nodes) * (templates + 1) > first_ct:
        raise SystemExit("refclient: bases and templates run into --first-ct")
    return trees


def config(trees, with_node):
    cfg = {}
    for node, b, children, tmpl in trees:
        e = {"name": f"base{b}", "is_template": True, "memory_mb": 1024, "swap_mb": 512,
             "cores": 2, "storage_pool": "local-lvm", "storage_size_gb": 8,
             "unprivileged": True, "template": OSTEMPLATE}
        if with_node:
            e["node"] = node
        cfg[str(b)] = e
        for t in sorted(tmpl):
            cfg[str(t)] = {"name": f"tmpl{t}", "is_template": True, "clone_from_ctid": str(b),
                           "memory_mb": 1024, "cores": 2}
            for c in children[t]:
                cfg[str(c)] = {"name": f"ct{c}", "clone_from_ctid": str(t),
                               "memory_mb": 1024, "cores": 2}
    return {"lxc_configs": cfg}


class Steps:
    """The build's steps, each on the node of the tree it belongs to."""

    def __init__(self, api, node_of):
        self.api = api
        self.node_of = node_of

    def create(self, vmid):
        n = self.node_of[vmid]
        self.api.wait_task(self.api.call("POST", f"/nodes/{n}/lxc", vmid=vmid,
                                         ostemplate=OSTEMPLATE, hostname=f"ct{vmid}",
                                         memory=1024, swap=512, cores=2,
                                         rootfs="local-lvm:8", unprivileged=1))

    def clone(self, src, vmid):
        n = self.node_of[src]
        self.api.wait_task(self.api.call("POST", f"/nodes/{n}/lxc/{src}/clone",
                                         newid=vmid, hostname=f"ct{vmid}", full=0))

    def configure(self, vmid):
        self.api.call("PUT", f"/nodes/{self.node_of[vmid]}/lxc/{vmid}/config",
                      memory=1024, swap=512, cores=2)

    def convert(self, vmid):
        n = self.node_of[vmid]
        self.api.call("POST", f"/nodes/{n}/lxc/{vmid}/template")
        while True:  # no task id: the end shows in the config
            conf = self.api.call("GET", f"/nodes/{n}/lxc/{vmid}/config")
            if conf.get("template") in (1, "1") and "lock" not in conf:
                return
            time.sleep(self.api.poll_s)

    def start(self, vmid):
        self.api.wait_task(self.api.call(
            "POST", f"/nodes/{self.node_of[vmid]}/lxc/{vmid}/status/start"))


def build(api, trees):
    threads, errors = [], []
    node_of = {}
    for node, b, children, _ in trees:
        for src, kids in children.items():
            node_of[src] = node
            for c in kids:
                node_of[c] = node
    st = Steps(api, node_of)

    def spawn(fn, *args):
        def run():
            try:
                fn(*args)
            except Exception as e:  # report, let the others finish
                errors.append(str(e))
        t = threading.Thread(target=run)
        with api.lock:
            threads.append(t)
        t.start()

    def clone_children(children, templates, src):
        for c in children.get(src, []):
            api.step(st.clone, src, c)
            spawn(after_clone, children, templates, c)

    def after_clone(children, templates, vmid):
        api.step(st.configure, vmid)
        if vmid in templates:
            api.step(st.convert, vmid)
            clone_children(children, templates, vmid)
        else:
            api.step(st.start, vmid)

    def tree(children, templates, base):
        api.step(st.create, base)
        api.step(st.convert, base)
        clone_children(children, templates, base)

    for _, b, children, templates in trees:
        spawn(tree, children, templates, b)
    while True:
        with api.lock:
            pending = [t for t in threads if t.is_alive()]
        if not pending:
            break
        for t in pending:
            t.join()
    if errors:
        raise SystemExit("refclient: " + "; ".join(errors[:5]))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("url", nargs="?")
    p.add_argument("token_file", nargs="?")
    p.add_argument("--print-config", action="store_true")
    p.add_argument("--templates", type=int, default=3)
    p.add_argument("--per", type=int, default=4)
    p.add_argument("--base", type=int, default=900)
    p.add_argument("--first-ct", type=int, default=1000)
    p.add_argument("--poll-ms", type=float, default=10)
    p.add_argument("--node", default="pve")
    p.add_argument("--nodes", help="comma list: one tree per node")
    a = p.parse_args()
    nodes = a.nodes.split(",") if a.nodes else [a.node]
    trees = forest(nodes, a.templates, a.per, a.base, a.first_ct)
    if a.print_config:
        json.dump(config(trees, bool(a.nodes)), sys.stdout, indent=4)
        print()
        return
    if not a.token_file:
        p.error("URL and TOKEN_FILE are needed unless --print-config")
    from pveref import Api  # needs requests; --print-config does not
    api = Api(a.url, a.token_file, a.poll_ms / 1000)
    t0 = time.monotonic()
    build(api, trees)
    print(api.report(time.monotonic() - t0))


if __name__ == "__main__":
    main()
