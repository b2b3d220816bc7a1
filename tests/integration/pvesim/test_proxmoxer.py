#!/usr/bin/python3
"""pvesim driven by proxmoxer (python3-proxmoxer), a client written against
the real API: token auth, create, template, linked clone, task polling,
errors raised with the server's reason text."""
import os
import subprocess
import sys
import time

from proxmoxer import ProxmoxAPI
from proxmoxer.core import ResourceException

HERE = os.path.dirname(os.path.abspath(__file__))
BUILD = os.environ.get("PHX_BUILD", "/work/main/build-pvesim")
DEB = "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst"
fails = 0


def check(name, got, want):
    global fails
    if got == want:
        print("ok   - " + name)
    else:
        print("FAIL - %s: got %r want %r" % (name, got, want))
        fails += 1


def start(state):
    """Start pvesim via lib.sh so that the helper is exercised too."""
    script = ('. "%s/lib.sh"; export PVESIM_PORT_MIN=18060 PVESIM_PORT_MAX=18079; '
              'pvesim_start "%s" 0 >&2 || exit 1; '
              'echo "$PVESIM_PORT $PVESIM_PID"; disown' % (HERE, state))
    out = subprocess.run(["bash", "-c", script], env=dict(os.environ, PHX_BUILD=BUILD),
                         stdout=subprocess.PIPE, check=True, text=True).stdout.split()
    return int(out[0]), int(out[1])


def wait_task(px, upid, timeout=30):
    node = upid.split(":")[1]
    deadline = time.time() + timeout
    while time.time() < deadline:
        st = px.nodes(node).tasks(upid).status.get()
        if st["status"] == "stopped":
            return st["exitstatus"]
        time.sleep(0.05)
    raise TimeoutError(upid)


def main():
    state = os.path.join(BUILD, "pvesim-it-proxmoxer")
    subprocess.run(["rm", "-rf", state], check=True)
    port, pid = start(state)
    try:
        with open(os.path.join(state, "token")) as f:
            tok = f.read().strip()
        user, rest = tok.split("!", 1)
        name, secret = rest.rsplit("=", 1)
        px = ProxmoxAPI("127.0.0.1:%d" % port, user=user, token_name=name,
                        token_value=secret, verify_ssl=os.path.join(state, "cert.pem"))
        check("version", px.version.get()["version"], "9.2.11")
        check("nodes", [n["node"] for n in px.nodes.get()], ["pve"])
        vmid = int(px.cluster.nextid.get())
        upid = px.nodes("pve").lxc.create(vmid=vmid, ostemplate=DEB, rootfs="local-zfs:4",
                                          hostname="tmpl", memory=256,
                                          net0="name=eth0,bridge=vmbr0,ip=dhcp")
        check("create task", wait_task(px, upid), "OK")
        conf = px.nodes("pve").lxc(vmid).config.get()
        check("config", (conf["hostname"], conf["memory"], conf["rootfs"]),
              ("tmpl", 256, "local-zfs:subvol-%d-disk-0,size=4G" % vmid))
        check("template answers None", px.nodes("pve").lxc(vmid).template.post(), None)
        deadline = time.time() + 10
        while px.nodes("pve").lxc(vmid).config.get().get("template") != 1 and time.time() < deadline:
            time.sleep(0.05)
        check("converted", px.nodes("pve").lxc(vmid).config.get().get("template"), 1)
        upid = px.nodes("pve").lxc(vmid).clone.post(newid=vmid + 1, hostname="c1")
        check("linked clone", wait_task(px, upid), "OK")
        check("clone volume", px.nodes("pve").lxc(vmid + 1).config.get()["rootfs"],
              "local-zfs:basevol-%d-disk-0/subvol-%d-disk-0,size=4G" % (vmid, vmid + 1))
        res = {r["vmid"]: r for r in px.cluster.resources.get(type="vm")}
        check("resources", (res[vmid]["template"], res[vmid + 1]["name"]), (1, "c1"))
        upid = px.nodes("pve").lxc(vmid + 1).status.start.post()
        check("start", wait_task(px, upid), "OK")
        check("status current", px.nodes("pve").lxc(vmid + 1).status.current.get()["status"], "running")
        px.nodes("pve").lxc(vmid + 1).config.put(memory=1024, description="hello")
        check("put config", px.nodes("pve").lxc(vmid + 1).config.get()["description"], "hello\n")
        try:
            px.nodes("pve").lxc(vmid).template.post()
            check("template twice refused", "no error", "error")
        except ResourceException as e:
            check("template twice refused (reason phrase)", e.status_code, 500)
            check("reason text", "you can't convert a template to a template" in str(e), True)
        try:
            px.nodes("pve").lxc.create(vmid="abc", ostemplate=DEB)
        except ResourceException as e:
            # proxmoxer 1.2 looks for `errors` inside `data`, so, as against a
            # real server, it only has the status and the reason phrase
            check("400 status", e.status_code, 400)
            check("400 reason", "Parameter verification failed." in str(e), True)
        upid = px.nodes("pve").lxc(vmid).delete()
        check("zfs template with linked clone cannot go", wait_task(px, upid),
              "base volume 'basevol-%d-disk-0' is still in use by linked clones" % vmid)
        upid = px.nodes("pve").lxc(vmid + 1).delete(force=1)
        check("destroy running clone with force", wait_task(px, upid), "OK")
        log = px.nodes("pve").tasks(upid).log.get()
        check("task log ends OK", log[-1]["t"], "TASK OK")
    finally:
        os.kill(pid, 15)
    print("%d failure(s)" % fails)
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
