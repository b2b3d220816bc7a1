#!/usr/bin/python3
"""A scripted HTTPS server for the driver's wire tests (test_wire.c).

Not a Proxmox simulator (that is pvesim): it answers a few paths with
canned replies that a real server gives, including the old-server form
whose error text is only in the reason phrase, and records every request
it receives as one JSON line in LOG so the test can check what was sent.

usage: fake_pve.py PORT CERT KEY LOG
"""
import http.server
import json
import ssl
import sys
import threading

PORT, CERT, KEY, LOG = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
UPID = "UPID:pve:00000010:00000100:66F1E2F0:vzcreate:103:ci@pve!build:"
counts = {}
lock = threading.Lock()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def reply(self, code, reason, body):
        data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        self.send_response(code, reason)
        self.send_header("Content-Type", "application/json;charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def handle_any(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        path, _, query = self.path.partition("?")
        with lock:
            counts[path] = counts.get(path, 0) + 1
            n = counts[path]
            with open(LOG, "a") as f:
                f.write(json.dumps({
                    "method": self.command, "path": path, "query": query,
                    "body": body, "ctype": self.headers.get("Content-Type") or "",
                    "auth": self.headers.get("Authorization") or "",
                    "port": self.client_address[1], "n": n}) + "\n")
        if not path.startswith("/api2/json/"):
            return self.reply(501, "no such uri", "")
        p = path[len("/api2/json"):]
        if self.command == "DELETE" and length:
            return self.reply(501, "Unexpected content for method 'DELETE'", "")
        if p == "/nodes":
            return self.reply(200, "OK", {"data": [{"node": "pve", "status": "online"}]})
        if p == "/nodes/pve/lxc" and self.command == "POST":
            return self.reply(200, "OK", {"data": UPID})
        if p == "/nodes/pve/lxc/103" and self.command == "DELETE":
            return self.reply(200, "OK", {"data": UPID})
        if p == "/nodes/pve/lxc/103/config" and self.command == "PUT":
            return self.reply(200, "OK", {"data": None})
        if p == "/nodes/old/lxc/999/config":
            # libpve-http-server-perl < 5.2: no "message" in the body
            return self.reply(500, "Configuration file 'nodes/old/lxc/999.conf' does not exist",
                              {"data": None})
        if p == "/nodes/pve/lxc/100/template":
            return self.reply(500, "CT is locked (disk)",
                              {"data": None, "message": "CT is locked (disk)\n"})
        if p == "/nodes/flaky/lxc/100/config":
            if n <= 2:
                return self.reply(503, "Service Unavailable", "")
            return self.reply(200, "OK", {"data": {"hostname": "ct100", "memory": 512}})
        if p == "/nodes/down/lxc/100/config":
            return self.reply(595, "Connection refused", "")
        if p == "/nodes/pve/lxc/100/config":
            return self.reply(200, "OK", {"data": {"hostname": "ct100", "template": 1}})
        if p == "/storage":
            return self.reply(200, "OK", {"data": [
                {"storage": "local", "type": "dir", "path": "/var/lib/vz",
                 "content": "vztmpl,iso,backup", "digest": "x"},
                {"storage": "FastPool-CT", "type": "zfspool", "content": "rootdir,images",
                 "nodes": "pve,pve2", "shared": 0, "disable": 1},
                {"storage": "nfs-iso", "type": "nfs", "path": "/mnt/pve/nfs-iso",
                 "content": "vztmpl", "shared": 1}]})
        if p == "/nodes/pve/lxc/103/snapshot" and self.command == "GET":
            return self.reply(200, "OK", {"data": [
                {"name": "golden", "snaptime": 1700000000, "description": ""},
                {"name": "current", "running": 1, "parent": "golden",
                 "description": "You are here!"}]})
        if p in ("/nodes/pve/lxc/103/snapshot", "/nodes/pve/lxc/103/snapshot/golden"):
            return self.reply(200, "OK", {"data": UPID})
        if p == "/nodes/pve/lxc/103/resize":
            return self.reply(200, "OK", {"data": None if n > 1 else UPID})
        if p == "/nodes/pve/lxc/103/firewall/rules" and self.command == "GET":
            return self.reply(200, "OK", {"data": [
                {"pos": 0, "type": "in", "action": "ACCEPT", "proto": "tcp", "dport": "22",
                 "enable": 1}]})
        if p.startswith("/nodes/pve/lxc/103/firewall/"):
            return self.reply(200, "OK", {"data": None})
        if p.startswith("/nodes/pve/tasks/") and p.endswith("/status"):
            return self.reply(200, "OK", {"data": {"status": "stopped", "exitstatus": "OK"}})
        return self.reply(501, "Method '%s %s' not implemented" % (self.command, p),
                          {"data": None, "message": "Method '%s %s' not implemented" % (self.command, p)})

    do_GET = do_POST = do_PUT = do_DELETE = handle_any


server = http.server.ThreadingHTTPServer(("127.0.0.1", PORT), Handler)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(CERT, KEY)
server.socket = ctx.wrap_socket(server.socket, server_side=True)
# PORT 0: the system picks a free port, said on the "ready" line, so that
# parallel builds on one machine never fight over a fixed one
sys.stdout.write("ready %d\n" % server.server_address[1])
sys.stdout.flush()
server.serve_forever()
