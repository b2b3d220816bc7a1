#!/usr/bin/python3
"""Print the install paths of a meson build directory as shell assignments:
PREFIX, BINDIR, SBINDIR, MANDIR, DATADIR (absolute), UNITDIR (where
mountscripts/meson.build puts the systemd unit), HAS_PVESIM (1 when the
build defines the pvesim executable).

usage: install_paths.py BUILDDIR"""
import json
import os
import shlex
import subprocess
import sys

build = sys.argv[1]


def introspect(what):
    out = subprocess.run(["meson", "introspect", what, build],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)


opts = {o["name"]: o["value"] for o in introspect("--buildoptions")}
prefix = opts["prefix"]


def under(d):
    return os.path.normpath(os.path.join(prefix, d))


paths = {
    "PREFIX": prefix,
    "BINDIR": under(opts["bindir"]),
    "SBINDIR": under(opts["sbindir"]),
    "MANDIR": under(opts["mandir"]),
    "DATADIR": under(opts["datadir"]),
    "UNITDIR": under("lib/systemd/system"),
    "HAS_PVESIM": "1" if any(t["name"] == "pvesim" and t["type"] == "executable"
                             for t in introspect("--targets")) else "0",
}
for k, v in paths.items():
    print("%s=%s" % (k, shlex.quote(v)))
