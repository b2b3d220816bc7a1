#!/usr/bin/python3
"""An outside editor of the config file that follows the flock convention
(docs/design.md): open, flock, check the path still names the locked file,
read, add 1 to a top-level "outside_counter", write a temporary file (no
fsync, as many editors), rename it over, close. Usage: outside_editor.py
CONFIG N. Prints how many increments it made."""
import fcntl
import json
import os
import sys

path, n = sys.argv[1], int(sys.argv[2])
done = 0
while done < n:
    with open(path, "rb") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        st = os.fstat(f.fileno())
        try:
            now = os.stat(path)
        except FileNotFoundError:
            continue
        if (st.st_dev, st.st_ino) != (now.st_dev, now.st_ino):
            continue  # replaced while we waited: lock the new one
        doc = json.loads(f.read())
        doc["outside_counter"] = doc.get("outside_counter", 0) + 1
        tmp = "%s.editor-%d" % (path, os.getpid())
        with open(tmp, "w") as t:
            json.dump(doc, t, indent=2)
            t.write("\n")
        os.rename(tmp, path)
        done += 1
print(done)
