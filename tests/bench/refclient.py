#!/usr/bin/python3
"""Reference client for the build benchmark: builds a clone forest by
driving the Proxmox VE API directly, on the fastest schedule the API allows.

The forest: one base template BASE created from an OS template; TEMPLATES
templates cloned from it (BASE+1..); PER containers cloned from each
template (FIRST_CT..), each configured and started. The only ordering the
API forces is kept: a clone needs its source to exist (and, for a linked
clone, to be a template), and clones from one source run one at a time
(the source holds the `disk` lock for the whole clone). Everything else
overlaps: one thread per source clones its children back to back, and each
child's own work (PUT config, then convert or start) runs in a thread of
its own while the source goes on to the next clone. Tasks are polled every
--poll-ms, so the end of a step is seen at most that late.

Prints: "elapsed SECONDS serial SECONDS steps N", where serial is the sum
of every step's own duration (what a script doing one thing at a time,
like the shell scripts phoenixfs replaces, would take at best).

usage: refclient.py URL TOKEN_FILE [--templates K] [--per M] [--base ID]
                    [--first-ct ID] [--poll-ms N] [--node NAME]
"""
import argparse
import threading
import time
import urllib.parse

import requests
import urllib3

urllib3.disable_warnings()  # loopback pvesim with its self-signed certificate

OSTEMPLATE = "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst"


class Api:
    def __init__(self, url, token, poll_s, node):
        self.url = url.rstrip("/") + "/api2/json"
        self.headers = {"Authorization": "PVEAPIToken=" + token}
        self.poll_s = poll_s
        self.node = node
        self.local = threading.local()
        self.lock = threading.Lock()
        self.serial = 0.0
        self.steps = 0

    def _session(self):
        s = getattr(self.local, "s", None)
        if s is None:
            s = self.local.s = requests.Session()
            s.headers.update(self.headers)
        return s

    def call(self, method, path, **data):
        r = self._session().request(method, self.url + path, data=data or None, timeout=30,
                                      verify=False)  # per request: REQUESTS_CA_BUNDLE would win over the session
        if r.status_code != 200:
            raise RuntimeError(f"{method} {path}: {r.status_code} {r.text}")
        return r.json().get("data")

    def wait_task(self, upid):
        enc = urllib.parse.quote(upid, safe="")
        while True:
            st = self.call("GET", f"/nodes/{self.node}/tasks/{enc}/status")
            if st.get("status") == "stopped":
                if st.get("exitstatus") != "OK":
                    raise RuntimeError(f"{upid}: {st.get('exitstatus')}")
                return
            time.sleep(self.poll_s)

    def step(self, fn, *args):
        t0 = time.monotonic()
        fn(*args)
        with self.lock:
            self.serial += time.monotonic() - t0
            self.steps += 1

    # --- the steps ---
    def create(self, vmid):
        self.wait_task(self.call("POST", f"/nodes/{self.node}/lxc", vmid=vmid,
                                 ostemplate=OSTEMPLATE, hostname=f"ct{vmid}",
                                 memory=1024, swap=512, cores=2,
                                 rootfs="local-lvm:8", unprivileged=1))

    def clone(self, src, vmid):
        self.wait_task(self.call("POST", f"/nodes/{self.node}/lxc/{src}/clone",
                                 newid=vmid, hostname=f"ct{vmid}", full=0))

    def configure(self, vmid):
        self.call("PUT", f"/nodes/{self.node}/lxc/{vmid}/config", memory=1024, swap=512, cores=2)

    def convert(self, vmid):
        self.call("POST", f"/nodes/{self.node}/lxc/{vmid}/template")
        while True:  # no task id: the end shows in the config
            conf = self.call("GET", f"/nodes/{self.node}/lxc/{vmid}/config")
            if conf.get("template") in (1, "1") and "lock" not in conf:
                return
            time.sleep(self.poll_s)

    def start(self, vmid):
        self.wait_task(self.call("POST", f"/nodes/{self.node}/lxc/{vmid}/status/start"))


def build(api, children, templates):
    threads, errors = [], []

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

    def clone_children(src):
        for c in children.get(src, []):
            api.step(api.clone, src, c)
            spawn(after_clone, c)

    def after_clone(vmid):
        api.step(api.configure, vmid)
        if vmid in templates:
            api.step(api.convert, vmid)
            clone_children(vmid)
        else:
            api.step(api.start, vmid)

    base = next(iter(children))
    api.step(api.create, base)
    api.step(api.convert, base)
    clone_children(base)
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
    p.add_argument("url")
    p.add_argument("token_file")
    p.add_argument("--templates", type=int, default=3)
    p.add_argument("--per", type=int, default=4)
    p.add_argument("--base", type=int, default=900)
    p.add_argument("--first-ct", type=int, default=1000)
    p.add_argument("--poll-ms", type=float, default=10)
    p.add_argument("--node", default="pve")
    a = p.parse_args()
    token = open(a.token_file).read().strip()
    api = Api(a.url, token, a.poll_ms / 1000, a.node)
    tmpl = [a.base + 1 + i for i in range(a.templates)]
    children = {a.base: tmpl}
    for i, t in enumerate(tmpl):
        children[t] = [a.first_ct + i * a.per + j for j in range(a.per)]
    t0 = time.monotonic()
    build(api, children, set(tmpl))
    print(f"elapsed {time.monotonic() - t0:.3f} serial {api.serial:.3f} steps {api.steps}")


if __name__ == "__main__":
    main()
