#!/usr/bin/env python3
"""Reference client for the real-shape build benchmark: builds every
container of a phoenix_lxc_configs.json (tests/data/real_shape.json) the
way lxc-manager.sh's `create` does, by driving the Proxmox VE API directly,
on the fastest schedule the API allows; hooks are sleeps of a fixed
duration, as the benchmark's hook scripts are.

Per container, the same steps as phoenixfs: create (the OS template path
mapped through GET /storage) or full clone from the source's
template_snapshot_name; PUT config; firewall options and rules; resize to
storage_size_gb; start; pre-configured snapshot; one sleep per feature and
one for the application script; template snapshot; final-form snapshot.
Only the order the API and the config force is kept: a clone needs its
source's template snapshot; clones from one source run one at a time, and
nothing else may touch the source meanwhile (Proxmox's `disk` lock), so a
source's final-form snapshot comes after its clones; a container starts
only after each of its dependencies in the file has started. Everything
else runs in parallel, one thread per container.

Prints "elapsed SECONDS serial SECONDS steps N".

usage: refshape.py URL TOKEN_FILE CONFIG [--hook-s S] [--poll-ms N] [--node NAME]
"""
import argparse
import json
import os
import threading
import time

from pveref import Api


def net0(e):
    n = e.get("network_config") or {}
    parts = [f"{k}={n[k]}" for k in ("name", "bridge", "ip", "gw") if n.get(k)]
    if e.get("mac_address"):
        parts.append("hwaddr=" + e["mac_address"])
    if (e.get("firewall") or {}).get("enabled"):
        parts.append("firewall=1")
    return ",".join(parts)


def config_params(e):
    p = {"hostname": e["name"], "memory": e["memory_mb"], "cores": e["cores"],
         "net0": net0(e), "onboot": int(bool(e.get("start_at_boot"))),
         "startup": f"order={e.get('boot_order', 0)},up={e.get('boot_delay', 0)}"}
    if e.get("swap_mb") is not None:
        p["swap"] = e["swap_mb"]
    ns = e.get("nameservers") or (e.get("network_config") or {}).get("nameservers")
    if ns:
        p["nameserver"] = ns
    if e.get("pct_options"):
        p["features"] = ",".join(e["pct_options"])
    return p


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("url")
    ap.add_argument("token_file")
    ap.add_argument("config")
    ap.add_argument("--hook-s", type=float, default=0.5)
    ap.add_argument("--poll-ms", type=float, default=10)
    ap.add_argument("--node", default="pve")
    a = ap.parse_args()
    api = Api(a.url, a.token_file, a.poll_ms / 1000)
    node = a.node
    cfg = json.load(open(a.config))["lxc_configs"]
    ids = sorted(cfg, key=int)
    children = {c: [k for k in ids if str(cfg[k].get("clone_from_ctid", "")) == c] for c in ids}
    snap_ready = {c: threading.Event() for c in ids}
    started = {c: threading.Event() for c in ids}
    errors = []

    def vol_of(path):
        # GET /storage: the storage whose path holds template/cache/FILE
        for st in api.call("GET", "/storage"):
            p = st.get("path")
            if p and os.path.dirname(path) == p.rstrip("/") + "/template/cache" and \
                    "vztmpl" in st.get("content", ""):
                return f"{st['storage']}:vztmpl/{os.path.basename(path)}"
        raise RuntimeError(f"no storage covers {path}")

    def define(c):
        e = cfg[c]
        src = str(e.get("clone_from_ctid", "") or "")
        if not src:
            tmpl = e["template"]
            if tmpl.startswith("/"):
                tmpl = vol_of(tmpl)
            p = config_params(e)
            p.update(vmid=c, ostemplate=tmpl, unprivileged=1,
                     rootfs=f"{e['storage_pool']}:{e['storage_size_gb']}")
            api.wait_task(api.call("POST", f"/nodes/{node}/lxc", **p))
        else:
            api.wait_task(api.call("POST", f"/nodes/{node}/lxc/{src}/clone", newid=c, full=1,
                              storage=e["storage_pool"],
                              snapname=cfg[src]["template_snapshot_name"]))

    def configure(c):
        api.call("PUT", f"/nodes/{node}/lxc/{c}/config", **config_params(cfg[c]))

    def firewall(c):
        fw = cfg[c].get("firewall") or {}
        if not fw.get("enabled"):
            return
        api.call("PUT", f"/nodes/{node}/lxc/{c}/firewall/options", enable=1)
        for i, r in enumerate(fw.get("rules") or []):
            p = {k: r[k] for k in ("type", "action", "source", "dest", "proto", "comment") if r.get(k)}
            if r.get("port"):
                p["dport"] = r["port"]
            api.call("POST", f"/nodes/{node}/lxc/{c}/firewall/rules", enable=1, pos=i, **p)

    def resize(c):
        conf = api.call("GET", f"/nodes/{node}/lxc/{c}/config")
        have = conf["rootfs"].split("size=")[1]
        want = f"{cfg[c]['storage_size_gb']}G"
        if have != want:
            api.wait_task(api.call("PUT", f"/nodes/{node}/lxc/{c}/resize", disk="rootfs", size=want))

    def start(c):
        api.wait_task(api.call("POST", f"/nodes/{node}/lxc/{c}/status/start"))

    def snapshot(c, name):
        api.wait_task(api.call("POST", f"/nodes/{node}/lxc/{c}/snapshot", snapname=name))

    def hook(_c):
        time.sleep(a.hook_s)

    clone_locks = {c: threading.Lock() for c in ids}
    done_cloning = {c: threading.Event() for c in ids}
    left = {c: len(children[c]) for c in ids}
    left_lock = threading.Lock()
    for c in ids:
        if not children[c]:
            done_cloning[c].set()

    def build(c):
        try:
            e = cfg[c]
            src = str(e.get("clone_from_ctid", "") or "")
            if src:
                snap_ready[src].wait()
                with clone_locks[src]:
                    api.step(define, c)
                # the clone task's end releases the source's `disk` lock
                with left_lock:
                    left[src] -= 1
                    if left[src] == 0:
                        done_cloning[src].set()
                api.step(configure, c)
            else:
                api.step(define, c)
            api.step(firewall, c)
            api.step(resize, c)
            for d in e.get("dependencies") or []:
                if str(d) in cfg:
                    started[str(d)].wait()
            api.step(start, c)
            started[c].set()
            life = e.get("enable_lifecycle_snapshots")
            if life:
                api.step(snapshot, c, "pre-configured")
            for _f in e.get("features") or []:
                api.step(hook, c)
            if e.get("application_script"):
                api.step(hook, c)
            if e.get("template_snapshot_name"):
                api.step(snapshot, c, e["template_snapshot_name"])
                snap_ready[c].set()
                done_cloning[c].wait()  # the source is locked while cloned
            if life:
                api.step(snapshot, c, "final-form")
        except Exception as ex:  # report, let the others finish
            errors.append(f"{c}: {ex}")
            snap_ready[c].set()
            started[c].set()

    t0 = time.monotonic()
    threads = [threading.Thread(target=build, args=(c,)) for c in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise SystemExit("refshape: " + "; ".join(errors[:5]))
    print(api.report(time.monotonic() - t0))


if __name__ == "__main__":
    main()
