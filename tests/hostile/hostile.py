#!/usr/bin/env python3
"""The attack corpus: one hostile submission per attack, graded by the real `grade` binary.

Each attack is a file laid over the fixture course's reference (bundle/solutions/day01-hostile):
attacks/<name>.cpp replaces attack.cpp, attacks/<name>.hpp replaces attack.hpp, and a few attacks
change the submission's files themselves (a symbolic link, a FIFO, a directory). The driver grades
it with `grade day1 --format json --test ...` and checks two things:

  verdict    the outcome the grader must give (and words its message must contain);
  contained  the grader survived and graded, no canary (hidden test, solution, another student's
             file, /etc/shadow, the grader's environment) reached the report, no process outlived
             the grading, nothing was written outside the test's own directories, the loopback
             listener this driver opens on the host saw no connection and no datagram.

Every attack is self-bounded (children, memory, bytes, seconds; see each file's first comment), so
a defence that fails shows here as a failed check, not a dead machine. Network traffic goes only to
127.0.0.1 and ::1.

Tiers: --tier native uses what the host gives; A-D and none pass --max-tier. Tier D is simulated
faithfully: the grader runs as an unprivileged user (--user, default nobody) with --max-tier D.
Never run `--tier none` on a machine you care about: it shows what each attack does unsandboxed
(the attacks that could harm the host refuse to run as root, and include-dev-zero is skipped).

Usage: hostile.py --grade PATH [--attack NAME ...] [--tier native|A|B|C|D|none] [--cache DIR]
                  [--list] [--table]
"""
import argparse
import json
import os
import pwd
import re
import resource
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
BUNDLE = os.path.join(HERE, "bundle")
ATTACKS_DIR = os.path.join(HERE, "attacks")
DAY = "day01-hostile"
HIDDEN_TEST = os.path.join(BUNDLE, "exercises", DAY, "hidden", "canary_hidden_test.cpp")
SOLUTION = os.path.join(BUNDLE, "solutions", DAY, "attack.cpp")

CANARY_HIDDEN = "CANARY-HIDDEN-5d1e7a93c2"
CANARY_SOLUTION = "CANARY-SOLUTION-8b04f6e1a7"
CANARY_VICTIM = "CANARY-VICTIM-3c8e1f0b77"
CANARY_ENV = "CANARY-ENV-91b2c3d4e5"
LISTENER_PORTS = range(47361, 47365)
UID_BASE = 1_500_000_000  # the grader's default slot uids (GRADE_UID_BASE)

# Known gaps: the attack is not fully contained on that tier, for a reason the docs give. The
# driver still runs the checks and prints what got through, but does not count it as a failure.
SHARED_TMP = ("tier D has no mount namespace and no uid of its own: the shared /tmp is writable "
              "(GoogleTest's death tests need it) and what a test leaves there is the user's")

RELEASE = ["--test", "Hostile.Attack"]
ASAN = ["--test", "HostileAsan.Attack"]

# name -> what the grader must answer. outcome: the allowed outcomes; says: regexes the test's
# message must match; bound: (regex with one number, maximum) on the message; files: how the
# submission differs from the reference; test: which test to run; max_wall: seconds grading may take.
ATTACKS = {
    "fork-bomb": dict(outcome={"fail"}, says=[r"fork failed"], bound=(r"forked (\d+) children", 300)),
    "memory-bomb": dict(outcome={"crash"}, says=[r"more than 512 MiB of memory"]),
    "memory-bomb-asan": dict(source="memory-bomb", test=ASAN, outcome={"crash"}, says=[r"more than 1024 MiB"]),
    "cpu-spin": dict(outcome={"timeout"}),
    "sleep-forever": dict(outcome={"timeout", "deadlock"}),
    # A slow machine may not write all of it before the deadline: then a timeout, still capped.
    "output-flood": dict(outcome={"fail", "timeout", "deadlock"}, says=[r"more bytes than the \d+ kept"]),
    "disk-fill": dict(outcome={"crash"}, says=[r"wrote more than 256 MiB"], gap={"D": SHARED_TMP}),
    "read-hidden-tests": dict(outcome={"fail"}),
    "read-other-students": dict(outcome={"fail"}),
    "read-shadow": dict(outcome={"fail"}),
    "environment-secrets": dict(outcome={"fail"}),
    "loopback-listener": dict(outcome={"fail"}),
    "kill-parent": dict(outcome={"fail"}),
    "stop-parent": dict(outcome={"fail"}, max_wall=90),
    "stop-self": dict(outcome={"crash"}, says=[r"Every thread of the test was stopped"]),
    "kill-group": dict(outcome={"crash"}, says=[r"SIGKILL"]),
    "ptrace-parent": dict(outcome={"fail"}, says=[r"attach: ", r"seize: "]),
    "forged-passed-lines": dict(outcome={"fail"}, says=[r"before the test finished"]),
    "forged-frames-guess": dict(outcome={"fail"}, says=[r"forged messages"]),
    "forged-frames-stolen-nonce": dict(outcome={"fail"}, says=[r"before the test finished"]),
    "forged-frames-harness-call": dict(outcome={"fail"}, says=[r"before the test finished"]),
    "exit-zero": dict(outcome={"fail"}, says=[r"before the test finished"]),
    "underscore-exit-zero": dict(outcome={"fail"}, says=[r"before the test finished"]),
    "quick-exit-zero": dict(outcome={"fail"}, says=[r"before the test finished"]),
    "setsid-daemon": dict(outcome={"fail"}, says=[r"still running after it ended"]),
    "write-outside": dict(outcome={"fail"}, gap={"D": SHARED_TMP}),
    "thread-bomb": dict(outcome={"fail"}, bound=(r"started (\d+) threads", 300)),
    "include-dev-zero": dict(outcome={"build_error"}, max_wall=90, unsafe_unsandboxed=True),
    "incbin-secrets": dict(outcome={"build_error"}),
    "incbin-hidden-test": dict(outcome={"build_error"}),
    "incbin-own-translation-unit": dict(header=True, outcome={"build_error"}, says=[r"embeds"]),
    "big-static-array": dict(outcome={"build_error"}),
    "self-including-header": dict(header=True, outcome={"build_error"}),
    "symlink-to-hidden-test": dict(source=None, outcome={"build_error"}, says=[r"symbolic link"]),
    "oversized-file": dict(source=None, outcome={"build_error"}, says=[r"over the \d+ byte limit"]),
    "submodule-directory": dict(source=None, outcome={"build_error"}, says=[r"is a directory"]),
    "fifo-instead-of-file": dict(source=None, outcome={"build_error"}, says=[r"not a regular file"], max_wall=90),
    "symlinked-day-directory": dict(source=None, outcome={"build_error"}, says=[r"symbolic link or not a directory"]),
    "protected-files": dict(outcome={"fail"}, says=[r"the course's own test ran"]),
    "asan-use-after-free": dict(test=ASAN, outcome={"sanitizer"}, says=[r"use-after-free"]),
}

STRAY_NAMES = ("grade-hostile-escape", "grade-hostile-fill-")


def shadow_canary():
    try:
        with open("/etc/shadow") as f:
            return f.readline().strip()
    except OSError:
        return None


class Listener:
    """TCP and UDP on 127.0.0.1 and ::1, outside every namespace: records whatever arrives."""

    def __init__(self):
        self.events = []
        self.sockets = []
        for port in LISTENER_PORTS:
            for family, host in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
                for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
                    s = socket.socket(family, kind)
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                    try:
                        s.bind((host, port))
                    except OSError:
                        s.close()
                        continue
                    if kind == socket.SOCK_STREAM:
                        s.listen(16)
                    s.settimeout(0.2)
                    self.sockets.append((s, kind, host, port))
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while not self.stop.is_set():
            for s, kind, host, port in self.sockets:
                try:
                    if kind == socket.SOCK_STREAM:
                        conn, peer = s.accept()
                        self.events.append(f"tcp connection to {host}:{port} from {peer}")
                        conn.close()
                    else:
                        data, peer = s.recvfrom(4096)
                        self.events.append(f"udp datagram to {host}:{port}: {data!r}")
                except (socket.timeout, BlockingIOError):
                    pass
                except OSError:
                    pass
            time.sleep(0.01)

    def close(self):
        self.stop.set()
        self.thread.join()
        for s, *_ in self.sockets:
            s.close()


def sandbox_processes(cache):
    """Processes that belong to this corpus: their command line, program or working directory is
    in its cache (other graders on the machine use the same slot uids for their own work)."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            st = os.stat(f"/proc/{pid}")
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmdline = f.read().replace(b"\0", b" ").decode(errors="replace")
            with open(f"/proc/{pid}/stat") as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
            places = [cmdline]
            for link in ("cwd", "exe"):
                try:
                    places.append(os.readlink(f"/proc/{pid}/{link}"))
                except OSError:
                    pass
        except OSError:
            continue
        if state == "Z" or "hostile.py" in cmdline:
            continue
        if any(cache in place for place in places):
            found.append(f"{pid} uid={st.st_uid} {cmdline[:120]}")
    return found


def stray_files(dirs):
    found = []
    for d in dirs:
        try:
            for name in os.listdir(d):
                if name.startswith(STRAY_NAMES):
                    found.append(os.path.join(d, name))
        except OSError:
            pass
    return found


class Corpus:
    def __init__(self, grade, tier, cache, user):
        self.grade = grade
        self.tier = tier
        self.cache = os.path.abspath(cache)
        self.user = None
        if tier == "D":
            self.user = pwd.getpwnam(user)
        os.makedirs(self.cache, exist_ok=True)
        self.submission_root = os.path.join(self.cache, "submission")
        self.day = os.path.join(self.submission_root, DAY)
        self.shadow = shadow_canary()
        self.make_victim()
        if self.user:
            self.chown_tree(self.cache)

    def chown_tree(self, root):
        uid, gid = self.user.pw_uid, self.user.pw_gid
        os.chown(root, uid, gid)
        for dirpath, dirnames, filenames in os.walk(root):
            for name in dirnames + filenames:
                try:
                    os.chown(os.path.join(dirpath, name), uid, gid, follow_symlinks=False)
                except OSError:
                    pass

    def make_victim(self):
        """Another student's workspace, as an earlier grading would have left it (readable files)."""
        student = os.path.join(self.cache, "grade", "work", f"grade-{DAY}-000000victim", "student")
        os.makedirs(student, exist_ok=True)
        with open(os.path.join(student, "attack.cpp"), "w") as f:
            f.write(f"// another student's solution: {CANARY_VICTIM}\n")
        for d in (os.path.dirname(student), student):
            os.chmod(d, 0o755)

    def prepare(self, name, spec):
        shutil.rmtree(self.submission_root, ignore_errors=True)
        if os.path.lexists(self.submission_root):
            os.unlink(self.submission_root)
        os.makedirs(self.day)
        for file in ("attack.hpp", "attack.cpp"):
            with open(os.path.join(BUNDLE, "solutions", DAY, file)) as f:
                text = f.read().replace(CANARY_SOLUTION, "(the reference)")  # the canary stays private
            with open(os.path.join(self.day, file), "w") as f:
                f.write(text)
        source = spec.get("source", name)
        if source is not None:
            with open(os.path.join(ATTACKS_DIR, source + ".cpp")) as f:
                text = f.read()
            victim = os.path.join(self.cache, "grade", "work", f"grade-{DAY}-000000victim", "student", "attack.cpp")
            text = text.replace("@HIDDEN@", HIDDEN_TEST).replace("@SOLUTION@", SOLUTION).replace("@VICTIM@", victim)
            with open(os.path.join(self.day, "attack.cpp"), "w") as f:
                f.write(text)
            if spec.get("header"):
                shutil.copy(os.path.join(ATTACKS_DIR, source + ".hpp"), os.path.join(self.day, "attack.hpp"))
        target = os.path.join(self.day, "attack.cpp")
        if name == "symlink-to-hidden-test":
            os.unlink(target)
            os.symlink(HIDDEN_TEST, target)
        elif name == "oversized-file":
            with open(target, "a") as f:
                f.write("// " + "x" * 80 + "\n" * 1)
                f.write(("//" + "x" * 1022 + "\n") * 2048)  # 2 MiB: above the 1 MiB limit
        elif name == "submodule-directory":
            os.unlink(target)
            os.makedirs(target)
            with open(os.path.join(target, ".git"), "w") as f:
                f.write("gitdir: ../.git/modules/attack.cpp\n")
        elif name == "fifo-instead-of-file":
            os.unlink(target)
            os.mkfifo(target)
        elif name == "symlinked-day-directory":
            real = os.path.join(self.cache, "victim-day")
            shutil.rmtree(real, ignore_errors=True)
            shutil.copytree(self.day, real)
            shutil.rmtree(self.day)
            os.symlink(real, self.day)
        elif name == "protected-files":
            os.makedirs(os.path.join(self.day, "tests"), exist_ok=True)
            with open(os.path.join(self.day, "tests", "attack_test.cpp"), "w") as f:
                f.write('#include <gtest/gtest.h>\nTEST(Hostile, Attack) { SUCCEED(); }\n'
                        'TEST(HostileAsan, Attack) { SUCCEED(); }\n')
            marker = os.path.join(self.cache, "grade-hostile-cmake-ran")
            with open(os.path.join(self.day, "CMakeLists.txt"), "w") as f:
                f.write(f'cmake_minimum_required(VERSION 3.20)\nproject(evil)\nfile(WRITE "{marker}" "ran")\n')
        if self.user:
            self.chown_tree(self.submission_root)
            if os.path.isdir(os.path.join(self.cache, "victim-day")):
                self.chown_tree(os.path.join(self.cache, "victim-day"))

    def command(self, spec):
        args = [self.grade, "day1", "--repo", self.submission_root, "--format", "json", "--seed", "1", "--color",
                "never", *spec.get("test", RELEASE)]
        if self.tier not in ("native",):
            args += ["--max-tier", self.tier]
        if self.user:
            args = ["setpriv", f"--reuid={self.user.pw_uid}", f"--regid={self.user.pw_gid}", "--clear-groups",
                    "--", *args]
        return args

    def environment(self):
        env = {k: v for k, v in os.environ.items() if not k.startswith(("GRADE_", "CCACHE_"))}
        env.update(GRADE_BUNDLE=BUNDLE, GRADE_CACHE=os.path.join(self.cache, "grade"), NO_COLOR="1",
                   GITHUB_TOKEN=CANARY_ENV, GRADE_HOSTILE_TOKEN=CANARY_ENV)
        if self.user:
            env.update(HOME=self.cache, CCACHE_DIR=os.path.join(self.cache, "ccache"))
        return env

    def run(self, name):
        spec = ATTACKS[name]
        result = dict(attack=name, tier=self.tier, outcome="-", contained=True, problems=[], notes=[])
        if self.tier == "none" and spec.get("unsafe_unsandboxed"):
            result.update(outcome="skipped", contained=None, notes=["unbounded without a sandbox: not run"])
            return result
        self.prepare(name, spec)
        marker = os.path.join(self.cache, "grade-hostile-cmake-ran")
        if os.path.exists(marker):
            os.unlink(marker)
        os.makedirs(os.path.join(self.cache, "grade"), exist_ok=True)
        if self.user:
            self.chown_tree(os.path.join(self.cache, "grade"))
        listener = Listener() if name == "loopback-listener" else None
        workspaces = os.path.join(self.cache, "grade", "work")
        escape_dirs = ["/tmp", "/var/tmp", self.cache, os.path.join(self.cache, "grade"), workspaces,
                       os.path.dirname(HIDDEN_TEST), self.submission_root, self.day]
        if os.path.isdir(workspaces):
            for ws in os.listdir(workspaces):
                for sub in ("", "student", "build", "build/bin"):
                    escape_dirs.append(os.path.join(workspaces, ws, sub))
        started = time.monotonic()
        # Its own session: an attack that kills the grader's process group must not take this
        # driver with it (without a sandbox, tier none, it would).
        proc = subprocess.Popen(self.command(spec), env=self.environment(), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, cwd=self.cache, start_new_session=True)
        max_wall = spec.get("max_wall", 240)
        stopped = False
        try:
            stdout, stderr = proc.communicate(timeout=max_wall)
        except subprocess.TimeoutExpired:
            # A stopped or hung grader: wake it, give it a moment, then kill it (a failed defence).
            stopped = True
            os.kill(proc.pid, 18)  # SIGCONT
            try:
                stdout, stderr = proc.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                stdout, stderr = proc.communicate()
        wall = time.monotonic() - started
        if listener:
            time.sleep(0.3)
            listener.close()
        stdout = stdout.decode(errors="replace")
        stderr = stderr.decode(errors="replace")
        result["wall"] = wall
        problems = result["problems"]

        # The grader survived and graded.
        if stopped:
            problems.append(f"the grader did not finish within {max_wall} s")
        if proc.returncode not in (0, 1):
            problems.append(f"grade exited with {proc.returncode}: {stderr.strip()[-300:]}")
        test = None
        report = {}
        try:
            report = json.loads(stdout)
            test = report["tests"][0]
            result["outcome"] = test["extra_data"]["outcome"]
            result["message"] = test.get("output", "")
            result["sandbox"] = report["extra_data"].get("sandbox_tier")
        except (ValueError, KeyError, IndexError):
            problems.append("no result: " + (stdout[-300:] or stderr[-300:]))
        message = (test or {}).get("output", "") + "\n" + report.get("extra_data", {}).get("build_messages", "")
        if test:
            for rejected in report["extra_data"].get("rejected_files", []):
                message += "\n" + rejected
        # The verdict.
        verdict_ok = test is not None and result["outcome"] in spec["outcome"]
        for pattern in spec.get("says", []):
            if test is not None and not re.search(pattern, message):
                verdict_ok = False
                result["notes"].append(f"message lacks /{pattern}/")
        if "bound" in spec and test is not None:
            pattern, limit = spec["bound"]
            m = re.search(pattern, message)
            if m:
                result["notes"].append(m.group(0))
                if int(m.group(1)) > limit:
                    problems.append(f"{m.group(0)}: above {limit}")
        result["verdict_ok"] = verdict_ok
        if not verdict_ok and test is not None:
            result["notes"].append(f"expected {'/'.join(sorted(spec['outcome']))}")

        # Containment.
        everything = stdout + stderr
        for canary in (CANARY_HIDDEN, CANARY_SOLUTION, CANARY_VICTIM, CANARY_ENV, self.shadow):
            if canary and canary in everything:
                problems.append(f"the report leaks {canary[:24]}")
        if len(stdout) > 3 << 20:
            problems.append(f"the report is {len(stdout) >> 20} MiB")
        time.sleep(0.5)
        left = sandbox_processes(self.cache)
        if left:
            problems.append(f"{len(left)} processes outlived the grading: {left[:3]}")
            for line in left:
                try:
                    os.kill(int(line.split()[0]), 9)
                except OSError:
                    pass
        strays = stray_files(escape_dirs)
        if strays:
            problems.append(f"files written outside: {strays[:4]}")
            for path in strays:
                try:
                    os.unlink(path)
                except OSError:
                    pass
        if listener and listener.events:
            problems.append(f"the host's loopback listener saw: {listener.events[:3]}")
        if os.path.exists(marker):
            problems.append("the submission's CMakeLists.txt ran")
        if "ATTACHED" in message or "SEIZED" in message:
            problems.append("ptrace of the grader worked")
        if re.search(r"SIG\w+ sent", message) and name in ("kill-parent", "stop-parent") and proc.returncode not in (0, 1):
            problems.append("the signal reached the grader")
        result["contained"] = not problems
        gap = spec.get("gap", {}).get(self.tier if self.tier != "native" else result.get("sandbox"))
        if problems and gap:
            result["gap"] = gap
        return result


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--grade", required=True)
    parser.add_argument("--attack", action="append")
    parser.add_argument("--tier", default="native", choices=["native", "A", "B", "C", "D", "none"])
    parser.add_argument("--cache", help="working directory (default: a fresh one)")
    parser.add_argument("--user", default="nobody", help="the unprivileged user of tier D")
    parser.add_argument("--list", action="store_true")
    parser.add_argument("--json", help="write the results here")
    options = parser.parse_args()
    if options.list:
        print("\n".join(ATTACKS))
        return 0
    if os.geteuid() != 0:
        print("hostile.py runs as root (it plants canaries, reads /etc/shadow, runs tier D as another user): skipped")
        return 77
    cache = options.cache or tempfile.mkdtemp(prefix="grade-hostile-")
    if options.tier != "native":
        cache = os.path.join(cache, f"tier-{options.tier}")
    corpus = Corpus(os.path.abspath(options.grade), options.tier, cache, options.user)
    names = options.attack or list(ATTACKS)
    results = []
    for name in names:
        r = corpus.run(name)
        results.append(r)
        status = "skip" if r["contained"] is None else ("ok  " if r["contained"] and r.get("verdict_ok") else
                                                        "gap " if r.get("gap") else "FAIL")
        print(f"{status} {name:30} tier {r.get('sandbox', options.tier):5} {r['outcome']:12} "
              f"{'contained' if r['contained'] else 'NOT CONTAINED' if r['contained'] is False else ''}"
              f"{' ' + '; '.join(r['notes']) if r['notes'] else ''}"
              f"{(' ' + r['wall'].__format__('.1f') + ' s') if 'wall' in r else ''}", flush=True)
        for p in r["problems"]:
            print(f"       {p}")
        if r.get("gap"):
            print(f"       known gap of this tier: {r['gap']}")
        if status == "FAIL" and r.get("message"):
            message = r["message"][:400]
            for canary in (CANARY_HIDDEN, CANARY_SOLUTION, CANARY_VICTIM, CANARY_ENV, corpus.shadow):
                if canary:
                    message = message.replace(canary, "<canary>")  # a leak is reported, not repeated
            print("       message: " + message.replace("\n", "\n                "))
    if options.json:
        with open(options.json, "w") as f:
            json.dump(results, f, indent=2)
    gaps = [r for r in results if r.get("gap")]
    failed = [r for r in results
              if not r.get("gap") and (r["contained"] is False or (r["contained"] and not r.get("verdict_ok")))]
    contained = len([r for r in results if r["contained"] and r.get("verdict_ok")])
    print(f"{contained} of {len(results)} attacks contained with the expected verdict"
          f"{f', {len(gaps)} known gaps of this tier' if gaps else ''}{f', {len(failed)} FAILED' if failed else ''}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
