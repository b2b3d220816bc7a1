#!/usr/bin/python3
"""pvesim driven by proxmoxer (python3-proxmoxer), a client written against
the real API, as PVE 9 and as PVE 8: token auth, create, update, start,
stop, snapshot create/list/rollback/remove, template, linked and full
clone, task info and log, remove, the read-only endpoints such tools call,
and errors raised with the server's reason text.
Run with /usr/bin/python3 (Debian's proxmoxer and requests)."""
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


def start(state, version):
    """Start pvesim via lib.sh so that the helper is exercised too."""
    script = ('. "%s/lib.sh"; export PVESIM_PORT_MIN=18060 PVESIM_PORT_MAX=18079; '
              'pvesim_start "%s" 0 --pve-version %s >&2 || exit 1; '
              'echo "$PVESIM_PORT $PVESIM_PID"; disown' % (HERE, state, version))
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


def expect_error(name, fn, status, text):
    try:
        fn()
        check(name, "no error", text)
    except ResourceException as e:
        check(name, (e.status_code, text in str(e)), (status, True))


def run(version):
    state = os.path.join(BUILD, "pvesim-it-proxmoxer-%s" % version)
    subprocess.run(["rm", "-rf", state], check=True)
    port, pid = start(state, version)
    v = "pve%s " % version
    try:
        with open(os.path.join(state, "token")) as f:
            tok = f.read().strip()
        user, rest = tok.split("!", 1)
        name, secret = rest.rsplit("=", 1)
        px = ProxmoxAPI("127.0.0.1:%d" % port, user=user, token_name=name,
                        token_value=secret, verify_ssl=os.path.join(state, "cert.pem"))
        node = px.nodes("pve")
        check(v + "version", px.version.get()["version"],
              "8.4.21" if version == 8 else "9.2.11")
        check(v + "nodes", [n["node"] for n in px.nodes.get()], ["pve"])
        check(v + "node status", node.status.get()["pveversion"].split("/")[1],
              "8.4.21" if version == 8 else "9.2.11")
        check(v + "cluster status", px.cluster.status.get()[0]["name"], "pve")
        check(v + "storage path", px.storage("local").get()["path"], "/var/lib/vz")
        check(v + "network", [i["iface"] for i in node.network.get(type="any_bridge")], ["vmbr0"])
        vmid = int(px.cluster.nextid.get())
        # create
        upid = node.lxc.create(vmid=vmid, ostemplate=DEB, rootfs="local-zfs:4",
                               hostname="tmpl", memory=256, unprivileged=1,
                               net0="name=eth0,bridge=vmbr0,ip=dhcp")
        check(v + "create task", wait_task(px, upid), "OK")
        conf = node.lxc(vmid).config.get()
        check(v + "config", (conf["hostname"], conf["memory"], conf["rootfs"]),
              ("tmpl", 256, "local-zfs:subvol-%d-disk-0,size=4G" % vmid))
        # task info
        st = node.tasks(upid).status.get()
        check(v + "task info", (st["type"], st["id"], st["status"], st["exitstatus"]),
              ("vzcreate", str(vmid), "stopped", "OK"))
        check(v + "task in list", upid in [t["upid"] for t in node.tasks.get(vmid=vmid)], True)
        # update, with repeated keys joined as Proxmox joins a -list
        node.lxc(vmid).config.put(memory=512, tags=["a", "b"], nameserver="1.1.1.1")
        conf = node.lxc(vmid).config.get()
        check(v + "update", (conf["memory"], conf["tags"], conf["nameserver"]), (512, "a;b", "1.1.1.1"))
        # resize (grow only)
        check(v + "resize", wait_task(px, node.lxc(vmid).resize.put(disk="rootfs", size="+1G")), "OK")
        expect_error(v + "no shrink", lambda: node.lxc(vmid).resize.put(disk="rootfs", size="1G"),
                     500, "unable to shrink disk size")
        # start, interfaces, stop
        check(v + "start", wait_task(px, node.lxc(vmid).status.start.post()), "OK")
        check(v + "running", node.lxc(vmid).status.current.get()["status"], "running")
        check(v + "interfaces", [i["name"] for i in node.lxc(vmid).interfaces.get()], ["lo", "eth0"])
        node.lxc(vmid).config.put(searchdomain="lan")
        check(v + "pending", [i.get("pending") for i in node.lxc(vmid).pending.get()
                              if i["key"] == "searchdomain"], ["lan"])
        # full clone of a running CT without a snapshot: the text differs
        expect_error(v + "full clone of running CT",
                     lambda: node.lxc(vmid).clone.post(newid=vmid + 5, full=1), 500,
                     "Cannot do full clones on a running container without snapshots"
                     if version == 8 else
                     "Full clone of a running container is only possible from a snapshot")
        check(v + "stop", wait_task(px, node.lxc(vmid).status.stop.post()), "OK")
        check(v + "stopped", node.lxc(vmid).status.current.get()["status"], "stopped")
        # snapshots: create, list, config, rollback, remove
        check(v + "snapshot", wait_task(px, node.lxc(vmid).snapshot.post(snapname="s1", description="one")), "OK")
        check(v + "snapshot list", [s["name"] for s in node.lxc(vmid).snapshot.get()], ["s1", "current"])
        check(v + "snapshot config", node.lxc(vmid).snapshot("s1").config.get()["description"], "one")
        node.lxc(vmid).config.put(memory=1024)
        check(v + "rollback", wait_task(px, node.lxc(vmid).snapshot("s1").rollback.post()), "OK")
        check(v + "rolled back", node.lxc(vmid).config.get()["memory"], 512)
        # full clone from the snapshot
        check(v + "full clone from snapshot",
              wait_task(px, node.lxc(vmid).clone.post(newid=vmid + 2, full=1, snapname="s1")), "OK")
        check(v + "remove snapshot", wait_task(px, node.lxc(vmid).snapshot("s1").delete()), "OK")
        check(v + "snapshots gone", [s["name"] for s in node.lxc(vmid).snapshot.get()], ["current"])
        # firewall
        node.lxc(vmid).firewall.rules.post(type="in", action="ACCEPT", proto="tcp", dport="22", enable=1)
        node.lxc(vmid).firewall.options.put(enable=1)
        check(v + "firewall", ([r["dport"] for r in node.lxc(vmid).firewall.rules.get()],
                               node.lxc(vmid).firewall.options.get()["enable"]), (["22"], 1))
        # template, linked clone
        check(v + "template answers None", node.lxc(vmid).template.post(), None)
        deadline = time.time() + 10
        while node.lxc(vmid).config.get().get("template") != 1 and time.time() < deadline:
            time.sleep(0.05)
        check(v + "converted", node.lxc(vmid).config.get().get("template"), 1)
        upid = node.lxc(vmid).clone.post(newid=vmid + 1, hostname="c1")
        check(v + "linked clone", wait_task(px, upid), "OK")
        check(v + "clone volume", node.lxc(vmid + 1).config.get()["rootfs"],
              "local-zfs:basevol-%d-disk-0/subvol-%d-disk-0,size=5G" % (vmid, vmid + 1))
        res = {r["vmid"]: r for r in px.cluster.resources.get(type="vm")}
        check(v + "resources", (res[vmid]["template"], res[vmid + 1]["name"]), (1, "c1"))
        check(v + "start clone", wait_task(px, node.lxc(vmid + 1).status.start.post()), "OK")
        expect_error(v + "template twice refused",
                     lambda: node.lxc(vmid).template.post(), 500,
                     "you can't convert a template to a template")
        # proxmoxer 1.2 looks for `errors` inside `data`, so, as against a
        # real server, it only has the status and the reason phrase
        expect_error(v + "400", lambda: node.lxc.create(vmid="abc", ostemplate=DEB),
                     400, "Parameter verification failed.")
        # remove
        upid = node.lxc(vmid).delete()
        check(v + "zfs template with linked clone cannot go", wait_task(px, upid),
              "base volume 'basevol-%d-disk-0' is still in use by linked clones" % vmid)
        upid = node.lxc(vmid + 1).delete(force=1)
        check(v + "remove running clone with force", wait_task(px, upid), "OK")
        check(v + "task log ends OK", node.tasks(upid).log.get()[-1]["t"], "TASK OK")
        check(v + "remove full clone", wait_task(px, node.lxc(vmid + 2).delete()), "OK")
        check(v + "remove template", wait_task(px, node.lxc(vmid).delete()), "OK")
        check(v + "all gone", node.lxc.get(), [])
    finally:
        os.kill(pid, 15)


def main():
    for version in (9, 8):
        run(version)
    print("%d failure(s)" % fails)
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
