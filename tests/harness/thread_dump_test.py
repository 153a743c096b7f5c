#!/usr/bin/env python3
"""grader/gdb/thread_dump.py against a real deadlock: every blocked thread's mutex and its owner
must come out, with and without an LD_PRELOAD shim that wraps pthread_mutex_lock (the shim's own
frame has no debug info; the script once died on it, and a deadlock under `preload: lockdelay`
was then reported as "no stacks could be read").

    thread_dump_test.py FIXTURE SCRIPT [SHIM]

Exits 77 (skipped) without gdb."""
import json
import os
import shutil
import subprocess
import sys
import time


def blocked_threads(pid):
    """The LWPs of `pid` asleep in the kernel (state S), the main thread excluded."""
    out = []
    for tid in os.listdir(f"/proc/{pid}/task"):
        if int(tid) == pid:
            continue
        try:
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                if f.read().rsplit(")", 1)[1].split()[0] == "S":
                    out.append(int(tid))
        except OSError:
            pass
    return out


def check(fixture, script, shim):
    env = dict(os.environ)
    if shim:
        env["LD_PRELOAD"] = shim
    proc = subprocess.Popen([fixture], stdout=subprocess.PIPE, env=env)
    try:
        assert proc.stdout.readline().strip() == b"started", "the fixture did not start"
        for _ in range(100):  # at most 10 s for both threads to block
            if len(blocked_threads(proc.pid)) == 2:
                break
            time.sleep(0.1)
        time.sleep(0.2)
        gdb = subprocess.run(["gdb", "-iex", "set auto-load off", "-p", str(proc.pid), "-batch", "-nx", "-q",
                              "-x", script], capture_output=True, text=True, timeout=60)
    finally:
        proc.kill()
        proc.wait()
    lines = [line for line in gdb.stdout.splitlines() if line.startswith("CTDUMP ")]
    what = f"with LD_PRELOAD={shim}" if shim else "without a shim"
    if not lines:
        sys.exit(f"FAIL {what}: no CTDUMP line; gdb printed:\n{gdb.stdout}\n{gdb.stderr}")
    threads = json.loads(lines[0][len("CTDUMP "):])
    owners = {}
    for thread in threads:
        locks = [f for f in thread["frames"] if "mutex" in f]
        if locks:
            owners[thread["lwp"]] = locks[0]["owner"]
    # Each blocked thread waits for a mutex the other one holds.
    if len(owners) != 2 or set(owners.values()) != set(owners):
        sys.exit(f"FAIL {what}: expected two threads each waiting for the other's mutex, got {owners}")
    print(f"ok {what}: {owners}")


def main():
    if shutil.which("gdb") is None:
        print("gdb is not installed: skipped")
        return 77
    fixture, script = sys.argv[1], sys.argv[2]
    check(fixture, script, None)
    if len(sys.argv) > 3:
        check(fixture, script, sys.argv[3])
    return 0


if __name__ == "__main__":
    sys.exit(main())
