"""What the reference clients of the build benchmarks (refclient.py,
refshape.py) share: one HTTPS session per thread to the Proxmox VE API
with the token, task waiting, and the tally of steps.

A task is followed on the node that runs it, the second field of its UPID
(UPID:node:pid:pstart:starttime:type:id:user:), as Proxmox's own clients do
(PVE::Tools upid_decode): in a cluster the node of the call that started
it is the node that runs it, but the UPID says so without being told.
"""
import threading
import time
import urllib.parse

import requests
import urllib3

urllib3.disable_warnings()  # loopback pvesim with its self-signed certificate


class Api:
    def __init__(self, url, token_file, poll_s):
        self.url = url.rstrip("/") + "/api2/json"
        with open(token_file) as f:
            self.headers = {"Authorization": "PVEAPIToken=" + f.read().strip()}
        self.poll_s = poll_s
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
        """Polls the task every poll_s until it stops; raises unless OK.
        A call that started no task (None) has nothing to wait for."""
        if not upid:
            return
        node = upid.split(":")[1]
        enc = urllib.parse.quote(upid, safe="")
        while True:
            st = self.call("GET", f"/nodes/{node}/tasks/{enc}/status")
            if st.get("status") == "stopped":
                if st.get("exitstatus") != "OK":
                    raise RuntimeError(f"{upid}: {st.get('exitstatus')}")
                return
            time.sleep(self.poll_s)

    def step(self, fn, *args):
        """Runs one step, adding its own duration to the serial sum."""
        t0 = time.monotonic()
        fn(*args)
        with self.lock:
            self.serial += time.monotonic() - t0
            self.steps += 1

    def report(self, elapsed):
        return f"elapsed {elapsed:.3f} serial {self.serial:.3f} steps {self.steps}"
