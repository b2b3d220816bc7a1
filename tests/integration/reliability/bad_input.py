#!/usr/bin/python3
"""Generated bad-input cases for every file of a mounted phoenixfs tree.

The attribute table is read from backend/schema.c itself (so a new row gets
its cases without touching this file); every row is crossed with a list of
bad values for its type and with three ways of writing (one write, two
chunks, scratch file renamed over the attribute). On top come the JSON
files (config.json of an entry and of the root, nested keys), values over
1 MiB, writes to generated files and names that are not CTIDs.

Every case asserts the errno the writer sees (SPEC error table) and that
the config file is byte for byte what it was. Output: "ok DESC" /
"not ok DESC" lines (the bash wrapper numbers them) and "# ..." details.

usage: bad_input.py MOUNTPOINT CONFIG SCHEMA_C
"""
import errno
import os
import re
import sys

MNT, CFG, SCHEMA = sys.argv[1:4]
stats = {"cases": 0, "failed": 0}


def report(good, desc, detail=None):
    stats["cases"] += 1
    if good:
        print("ok " + desc)
    else:
        stats["failed"] += 1
        print("not ok " + desc)
        if detail:
            for line in str(detail).splitlines():
                print("#   " + line)
    sys.stdout.flush()


def cfg_bytes():
    with open(CFG, "rb") as f:
        return f.read()


# --- the attribute table, from the source ---------------------------------
CONSTS = {"GiB_IN_MiB": 1024, "PHX_CTID_MIN": 100, "PHX_CTID_MAX": 999999999}


def num(expr):
    return int(eval(expr.strip(), {"__builtins__": {}}, CONSTS))


def schema_rows():
    src = open(SCHEMA).read()
    table = src[src.index("phx_attrs[] = {"):]
    table = table[:table.index("\n};")]
    rows = []
    for m in re.finditer(r'INT_ROW\("(\w+)",\s*([^,]+),\s*([^,]+),', table):
        rows.append({"file": m[1], "key": m[1], "type": "INT",
                     "min": num(m[2]), "max": num(m[3])})
    for m in re.finditer(r'\{\s*"(\w+)",\s*"(\w+)",\s*PHX_T_(\w+),\s*([^,]+),\s*([^,]+),', table):
        rows.append({"file": m[1], "key": m[2], "type": m[3],
                     "min": num(m[4]), "max": num(m[5])})
    return rows


# Bad values per type: (bytes, errno). Whitespace-only, control bytes and
# invalid UTF-8 go to every type.
COMMON = [b" ", b"\n", b" \t \n", b"\x00", b"a\x00b", b"\xff\xfe", b"x\ny\n", b"\x1b[31m"]


def bad_values(row, self_ctid):
    t = row["type"]
    v = []
    if t in ("INT", "CTID"):
        lo, hi = row["min"], row["max"]
        v += [b"abc", b"1.5", b"-1", b"+5", b"0x10", b"1e3", b"12abc", b"1 2",
              b"0" + str(max(lo, 1)).encode(),  # leading zero: one spelling per number
              b"99999999999999999999", b"9" * 40, b"\xef\xbc\x94",  # fullwidth 4
              str(hi + 1).encode(), b'"5"', b"[5]", b"true", b"5MB"]
        if lo > 0:
            v.append(str(lo - 1).encode())
    if t == "CTID":
        v = [(x, errno.EINVAL) for x in v]
        v += [(b"555", errno.ENOENT), (b"123456", errno.ENOENT),
              (str(self_ctid).encode(), errno.ELOOP)]
        return v + [(x, errno.EINVAL) for x in COMMON]
    if t == "BOOL":
        v += [b"maybe", b"yes", b"no", b"TRUE", b"True", b"tru", b"2", b"-1",
              b"true false", b"on", b'"true"', b"01"]
    if t == "HOSTNAME":
        v += [b"bad name", b"-x", b"x-", b"a..b", b".a", b"a.", b"a_b", b"a/b",
              b"a" * 64, (b"a" * 63 + b".") * 4 + b"a", b"h\xc3\xa9", b"a\tb", b"*"]
    if t == "NODE":
        v += [b"a b", b"a.b", b"-x", b"x-", b"a_b", b"a" * 64, b"n\xc3\xa9", b"a/b"]
    if t == "STORAGE":
        # storage ids are case-insensitive (pve-common parse_storage_id: m/.../i)
        v += [b"1abc", b"a", b"a-", b"a:b", b"a b", b"a" * 65, b"-a",
              b"local/lvm", b"LOCAL_"]
    if t == "OSTEMPLATE":
        v += [b"debian.tar.zst", b"local:", b":x", b"/", b"9local:vztmpl/x",
              b"local:vztmpl/a b", b"local:vztmpl/a\tb", b"1x:vztmpl/a",
              b"/" + b"a" * 4100]
    if t == "MAC":
        v += [b"01:00:5e:00:00:01", b"zz:zz", b"00:11:22:33:44", b"00-11-22-33-44-55",
              b"00:11:22:33:44:555", b"0011.2233.4455", b"00:11:22:33:44:5g",
              b"ff:ff:ff:ff:ff:ff", b"00:11:22:33:44:55:66"]
    if t == "SNAPNAME":
        v += [b"1x", b"a", b"a b", b"a.b", b"a" * 41, b"-a", b"_a", b"a/b"]
    if t == "ADDRLIST":
        v += [b"10.0.0.300", b"a.b.c.d", b"10.0.0.1/24", b"10.0.0.1 x", b"::g", b",",
              b"10.0.0.1,,example.com", b"fe80::1%", b"fe80::1%a b"]
    if t == "DNSLIST":
        v += [b"-bad", b"a..b", b"a_b", b"a/b", b",", b"lab.example.com bad_name",
              b"a" * 64]
    if t == "MAC":  # whitespace only is the empty value: "let Proxmox pick"
        return [(x, errno.EINVAL) for x in v + COMMON if x.strip()]
    return [(x, errno.EINVAL) for x in v + COMMON]


# --- ways of writing ------------------------------------------------------
def write_direct(path, data, chunks=1):
    """open(O_TRUNC), write in `chunks` pieces, close. Returns the errno of
    the first failing call (write or close), or 0."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_TRUNC | os.O_CREAT, 0o644)
    except OSError as e:
        return e.errno
    rc = 0
    try:
        step = max(1, -(-len(data) // chunks))
        for i in range(0, len(data), step):
            piece = data[i:i + step]
            while piece:
                n = os.write(fd, piece)
                piece = piece[n:]
    except OSError as e:
        rc = e.errno
    try:
        os.close(fd)
    except OSError as e:
        rc = rc or e.errno
    return rc


def write_rename(path, data):
    """The sed -i / rsync / Ansible way: a scratch file in the same
    directory, renamed over the attribute. The rename must fail."""
    tmp = os.path.join(os.path.dirname(path), ".rel_bad.tmp")
    try:
        with open(tmp, "wb") as f:
            f.write(data)
    except OSError as e:
        return -e.errno  # the scratch write itself failed: not expected
    try:
        os.rename(tmp, path)
        return 0
    except OSError as e:
        return e.errno
    finally:
        try:
            os.unlink(tmp)
        except OSError:
            pass


def read_or_none(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError:
        return None


def shown(data):
    s = repr(data)[2:-1]
    return s if len(s) <= 40 else s[:37] + "..."


def first_chunk(data):
    step = max(1, -(-len(data) // 2))
    return data[:step]


# Refused values whose first write was itself a complete value (one line
# ending in a newline, valid on its own): that write saved it, as a write
# of a complete value does (docs/clients.md), and the second write was
# refused. The old value is put back and the file's identity re-baselined.
early_saves = {"n": 0, "baseline": None}


def case(desc, path, data, want, method="direct"):
    before = cfg_bytes()
    old = read_or_none(path)
    if method == "direct":
        got = write_direct(path, data)
    elif method == "chunks":
        got = write_direct(path, data, chunks=2)
    else:
        got = write_rename(path, data)
    after = cfg_bytes()
    problems = []
    wants = want if isinstance(want, tuple) else (want,)
    if got not in wants:
        problems.append("errno: want %s, got %s" % (
            "/".join(errno.errorcode.get(w, str(w)) for w in wants),
            errno.errorcode.get(abs(got), got) if got else "success"))
    first = first_chunk(data)
    if (after != before and method == "chunks" and first.endswith(b"\n")
            and first != data and read_or_none(path) == first):
        early_saves["n"] += 1
        if old is not None and write_direct(path, old) != 0:
            problems.append("cannot put the old value back")
        early_saves["baseline"] = os.stat(CFG)
        desc += " (first write saved '%s')" % shown(first)
    elif after != before:
        problems.append("config file changed")
    if old is not None and read_or_none(path) != old:
        problems.append("the file no longer reads its old value")
    report(not problems, "%s [%s] -> %s" % (desc, method, "/".join(errno.errorcode.get(w, str(w)) for w in wants)),
           "\n".join(problems))
    return not problems


def main():
    start = os.stat(CFG)
    rows = schema_rows()
    report(len(rows) >= 10, "schema table parsed from %s: %d rows" % (os.path.basename(SCHEMA), len(rows)))
    # the table and the mount agree: every key present in an entry shows as its file
    listed = set(os.listdir(os.path.join(MNT, "900"))) | set(os.listdir(os.path.join(MNT, "103")))
    import json
    doc = json.load(open(CFG))["lxc_configs"]
    present = {r["file"] for r in rows if r["key"] in doc["900"] or r["key"] in doc["103"]}
    report(present and present <= listed, "every table row whose key is set shows as a file (%d)" % len(present),
           "missing: %s" % sorted(present - listed))

    # attribute files x bad values x ways of writing
    for row in rows:
        ctid = 103 if row["type"] in ("CTID", "SNAPNAME") else 900
        # a clone cycle needs the other side: 103 clones from 900, so 900/clone_from 103 is ELOOP
        values = bad_values(row, ctid)
        path = os.path.join(MNT, str(ctid), row["file"])
        for data, want in values:
            for method in ("direct", "chunks", "rename"):
                if method == "chunks" and len(data) < 2:
                    continue
                case("%d/%s '%s'" % (ctid, row["file"], shown(data)), path, data, want, method)
        # the reason reaches the error file
        err = (read_or_none(os.path.join(MNT, str(ctid), "error")) or b"").decode(errors="replace")
        report(row["file"] in err or "clone" in err,
               "%d/error names %s after its refusals" % (ctid, row["file"]), "error: " + err)
        if row["type"] == "CTID":  # 103 clones from 900: 900 from 103 is a cycle
            for method in ("direct", "rename"):
                case("900/%s '103' (cycle)" % row["file"], os.path.join(MNT, "900", row["file"]),
                     b"103\n", errno.ELOOP, method)
        # the kernel hands the write over in max_write pieces: a one-word
        # value is refused as soon as its bytes cannot be one (EINVAL, at
        # the first piece); otherwise the size limit refuses it (EFBIG)
        big = b"1" * (1024 * 1024 + 10)
        case("%d/%s over 1 MiB" % (ctid, row["file"]), path, big, (errno.EFBIG, errno.EINVAL))

    # JSON-valued files: nested keys, lists, entry config.json, root config.json
    # (json-c takes single-quoted strings even when strict; they are saved
    # double-quoted, so the file stays JSON: not a case here)
    bad_json = [b"not json", b"{", b"[1,", b"1 2", b'"open', b'{"a":}', b"nul", b"tru",
                b"[1,]", b"\xff", b" ", b"{}{}", b"01", b"1.", b"[1.]", b"NaN", b"-Infinity",
                b"[1e]", b'"\xff"', b'{"a": "\xc3"}', b"/* c */ 1", b"True", b'{"a":1,}',
                b"[" * 100 + b"]" * 100, b'"a\\x"', b".5", b"-"]
    for rel in ("103/network_config/ip", "103/features", "103/firewall/enabled",
                "103/vllm_gpu_memory_utilization"):
        for data in bad_json:
            for method in ("direct", "rename"):
                case("%s '%s'" % (rel, shown(data)), os.path.join(MNT, rel), data, errno.EINVAL, method)
        case("%s over 1 MiB" % rel, os.path.join(MNT, rel), b'"' + b"a" * (1024 * 1024 + 10) + b'"', errno.EFBIG)

    entry_cases = [(x, errno.EINVAL) for x in bad_json + [b"[1,2]", b'"str"', b"42", b"null", b"true"]]
    for row in rows:  # one wrongly typed value per known key
        bad = {"INT": '"lots"', "CTID": '"abc"', "BOOL": '"yes"'}.get(row["type"], "5")
        entry_cases.append((('{"%s": %s}' % (row["key"], bad)).encode(), errno.EINVAL))
        if row["type"] == "INT":
            entry_cases.append((('{"%s": %d}' % (row["key"], row["max"] + 1)).encode(), errno.EINVAL))
    entry_cases += [(b'{"clone_from_ctid": "103"}', errno.ELOOP),
                    (b'{"clone_from_ctid": "4444"}', errno.ENOENT),
                    (b'{"clone_from_ctid": 99}', errno.EINVAL)]
    for data, want in entry_cases:
        for method in ("direct", "chunks", "rename"):
            if method == "chunks" and len(data) < 2:
                continue
            case("103/config.json '%s'" % shown(data), os.path.join(MNT, "103", "config.json"), data, want, method)
    case("103/config.json over 1 MiB", os.path.join(MNT, "103", "config.json"),
         b'{"x": "' + b"a" * (1024 * 1024) + b'"}', errno.EFBIG)

    root_cases = [(x, errno.EINVAL) for x in bad_json + [b"[]", b"42", b"null"]]
    root_cases += [(x.encode(), errno.EINVAL) for x in (
        '{"lxc_configs": []}', '{"lxc_configs": 5}', '{"lxc_configs": {"x": {}}}',
        '{"lxc_configs": {"99": {}}}', '{"lxc_configs": {"0900": {}}}',
        '{"lxc_configs": {"1000000000": {}}}', '{"lxc_configs": {"-5": {}}}',
        '{"lxc_configs": {"900": 5}}', '{"lxc_configs": {"900": []}}',
        '{"lxc_configs": {"900": {"memory_mb": "lots"}}}',
        '{"lxc_configs": {"900": {"mac_address": "01:00:00:00:00:00"}}}')]
    root_cases += [(x.encode(), errno.ELOOP) for x in (
        '{"lxc_configs": {"900": {"clone_from_ctid": "900"}}}',
        '{"lxc_configs": {"900": {"clone_from_ctid": "901"}, "901": {"clone_from_ctid": "900"}}}',
        '{"lxc_configs": {"900": {"clone_from_ctid": "901"}, "901": {"clone_from_ctid": "902"},'
        ' "902": {"clone_from_ctid": "900"}}}')]
    root_cases.append((b'{"lxc_configs": {"900": {"clone_from_ctid": "777"}}}', errno.ENOENT))
    for data, want in root_cases:
        for method in ("direct", "chunks"):
            if method == "chunks" and len(data) < 2:
                continue
            case("config.json '%s'" % shown(data), os.path.join(MNT, "config.json"), data, want, method)
    case("config.json over 1 MiB", os.path.join(MNT, "config.json"),
         b'{"lxc_configs": {}, "x": "' + b"a" * (1024 * 1024) + b'"}', errno.EFBIG)

    # generated files cannot be written; names that are not CTIDs cannot be made
    for rel in ("status", "900/status", "900/error", "900/log", "900/wait"):
        case("write to generated %s" % rel, os.path.join(MNT, rel), b"x\n", errno.EACCES)
    for cmd in (b"bogus\n", b"CREATE\n", b"create now\n", b" \n", b"\x00\n", b"start;stop\n"):
        case("900/ctl '%s'" % shown(cmd), os.path.join(MNT, "900", "ctl"), cmd, errno.EINVAL)
    for name in ("web", "99", "0900", "1000000000", "-5", "9 00", "900.0"):
        before = cfg_bytes()
        try:
            os.mkdir(os.path.join(MNT, name))
            got = 0
        except OSError as e:
            got = e.errno
        report(got == errno.EINVAL and cfg_bytes() == before,
               "mkdir '%s' at the root -> EINVAL" % name,
               "got %s" % errno.errorcode.get(got, got))
    for rel in ("900/status", "900/error", "900/log", "900/ctl", "status"):
        before = cfg_bytes()
        try:
            os.unlink(os.path.join(MNT, rel))
            got = 0
        except OSError as e:
            got = e.errno
        report(got in (errno.EPERM, errno.EACCES) and cfg_bytes() == before,
               "rm of generated %s refused" % rel, "got %s" % errno.errorcode.get(got, got))

    end = os.stat(CFG)
    if early_saves["baseline"] is not None:
        start = early_saves["baseline"]
    report((start.st_ino, start.st_mtime_ns) == (end.st_ino, end.st_mtime_ns),
           "the config file was never replaced during %d refused writes "
           "(but for the %d whose first write saved a value)" % (stats["cases"], early_saves["n"]))
    refused = stats["cases"]
    # controls: the same harness sees good writes succeed and land
    for rel, data, want in (("103/vllm_gpu_memory_utilization", b"0.5\n", 0.5),
                            ("103/features", b'["a", "b-c"]\n', ["a", "b-c"]),  # a checked list (lxc_keys.c)
                            ("103/vllm_gpu_memory_utilization", b'1.5e3\n', 1500.0),
                            ("900/memory_mb", b"4096\n", 4096),
                            ("103/name", b"ok-name\n", "ok-name")):
        ctid, key = rel.split("/")
        got = write_direct(os.path.join(MNT, rel), data)
        val = json.load(open(CFG))["lxc_configs"][ctid].get(key)
        report(got == 0 and val == want, "control: good value '%s' into %s lands" % (shown(data), rel),
               "errno %s, value %r" % (got, val))
    print("# %d refused-write cases, %d checks in all, %d failed" % (refused, stats["cases"], stats["failed"]))


main()
