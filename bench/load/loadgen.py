#!/usr/bin/python3
# loadgen.py: the load test of the service (issue 7, "Load"): N clients
# listing and downloading through nginx for S seconds while backups and a
# restore run, slow readers crawling through a streamed (tar) download and
# one reader that stops reading; every answer is checked (lists against the
# expected backups, downloads by sha256 against the stored file) and the
# responder's open fds and RSS are compared before and after.
# Standard library only; requests only to 127.0.0.1; bounded in time.

import argparse
import base64
import hashlib
import http.client
import json
import os
import random
import socket
import ssl
import sys
import tarfile
import threading
import time
import urllib.parse

# fds the responder may gain without leaking: its MongoDB pool growing.
FD_SLACK = 4

API = "/api/settings/backup"
CTX = ssl.create_default_context()
CTX.check_hostname = False
CTX.verify_mode = ssl.CERT_NONE


# How long anything may take before it counts as not answered: generous,
# for sanitizer builds on a busy machine.  Speed is reported, and judged
# only against the bounds given on the command line (bench/load/run).
WAIT = 300


def wait_for(cond, limit=WAIT):
    """Poll cond() until it holds or limit seconds pass; its last value."""
    end = time.monotonic() + limit
    while not cond() and time.monotonic() < end:
        time.sleep(0.05)
    return cond()


class Client:
    """One keep-alive HTTPS connection to nginx, reopened on error."""

    def __init__(self, port, auth, timeout=WAIT):
        self.port = port
        self.auth = auth
        self.timeout = timeout
        self.conn = None

    def request(self, method, path, body=None, ctype=None):
        hdrs = {"Authorization": self.auth, "X-Requested-With": "mbk-load"}
        if ctype is not None:
            hdrs["Content-Type"] = ctype
        if self.conn is None:
            self.conn = http.client.HTTPSConnection(
                "127.0.0.1", self.port, context=CTX, timeout=self.timeout)
        try:
            self.conn.request(method, path, body=body, headers=hdrs)
            r = self.conn.getresponse()
            data = r.read()
            if r.getheader("Connection", "").lower() == "close":
                self.close()
            return r.status, data
        except Exception:
            self.close()
            raise

    def json(self, method, path, obj=None):
        body = None if obj is None else json.dumps(obj).encode()
        st, data = self.request(method, path, body,
                                None if obj is None else "application/json")
        return st, json.loads(data)

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def proc_figures(pid):
    fds = len(os.listdir("/proc/%d/fd" % pid))
    rss = thr = 0
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
            elif line.startswith("Threads:"):
                thr = int(line.split()[1])
    return fds, rss, thr


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.lat = {"list": [], "download": []}
        self.errors = []
        self.bytes = 0

    def add(self, kind, secs, nbytes=0):
        with self.lock:
            self.lat[kind].append(secs)
            self.bytes += nbytes

    def error(self, what):
        with self.lock:
            if len(self.errors) < 1000:
                self.errors.append(what)


def pct(xs, p):
    if not xs:
        return 0.0
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p / 100.0 * len(xs)))]


class Load:
    def __init__(self, a):
        self.a = a
        self.auth = "Basic " + base64.b64encode(
            ("%s:%s" % (a.user, a.password)).encode()).decode()
        self.expected = {}      # name -> (storage, sha256)
        self.created = set()    # backups made during the run
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.stats = Stats()
        self.jobs_done = {"backup": 0, "restore": 0}
        self.job_errors = []

    def client(self, timeout=WAIT):
        return Client(self.a.port, self.auth, timeout)

    # ---- setup: the stored backups and their sha256 ----------------------
    def wait_job(self, c, job, limit=2 * WAIT):
        end = time.monotonic() + limit
        while time.monotonic() < end:
            st, d = c.json("GET", API + "?job=" + job)
            s = d.get("data", {}).get("state")
            if s in ("done", "failed", "canceled"):
                return s, d
            time.sleep(0.1)
        return "timeout", None

    def stored_sha(self, name, storage):
        if storage == "fs":
            with open(os.path.join(self.a.run, "backups", name), "rb") as f:
                return hashlib.sha256(f.read()).hexdigest()
        with tarfile.open(os.path.join(self.a.run, "tar", "backups.tar")) as t:
            for m in t.getmembers():
                if os.path.basename(m.name) == name:
                    return hashlib.sha256(t.extractfile(m).read()).hexdigest()
        raise RuntimeError("%s not in the tar file" % name)

    def setup(self):
        c = self.client(120)
        # Backups already there (a reused stack) are allowed, not expected.
        for storage in ("fs", "tar"):
            st, d = c.json("GET", API + "?storage=" + storage)
            self.created |= {b["name"] for b in d["data"]["backups"]}
        # A collection of about 8 MB of barely compressible documents, so
        # that one tar backup is bigger than every buffer on the way.
        rnd = random.Random(7)
        docs = ['{"_id":%d,"pad":"%s"}' % (i, base64.b64encode(
            rnd.randbytes(750)).decode()) for i in range(self.a.pad_docs)]
        f = ('{"metadata":{"database":"crm","timestamp":'
             '"2026-01-01T00:00:00.000Z","backupName":"pad","description":"",'
             '"version":"1.0","collections":["pad"],"compression":"none"},'
             '"collections":{"pad":[' + ",".join(docs) + "]}}")
        st, d = c.request("PUT", API + "?targetDatabase=crm&dropExisting=true",
                          f.encode(), "application/json")
        if st != 200:
            raise RuntimeError("restoring the pad collection: %d %s"
                               % (st, d[:300]))
        for name, storage, comp in (("big-tar", "tar", "none"),
                                    ("big-fs", "fs", "none")):
            self.make(c, name, storage, comp)
        # Empty the pad again: the backups during the load stay small.
        empty = ('{"metadata":{"database":"crm","timestamp":'
                 '"2026-01-01T00:00:00.000Z","backupName":"e","description":"",'
                 '"version":"1.0","collections":["pad"],"compression":"none"},'
                 '"collections":{"pad":[]}}')
        st, d = c.request("PUT", API + "?targetDatabase=crm&dropExisting=true",
                          empty.encode(), "application/json")
        if st != 200:
            raise RuntimeError("emptying pad: %d %s" % (st, d[:300]))
        for name, storage, comp in (("small-fs", "fs", "none"),
                                    ("small-fs-gz", "fs", "gzip"),
                                    ("small-tar", "tar", "none"),
                                    ("small-tar-gz", "tar", "gzip")):
            self.make(c, name, storage, comp)
        c.close()

    def make(self, c, name, storage, comp):
        st, d = c.json("POST", API, {"backupName": name, "storage": storage,
                                     "compression": comp})
        fname = name + (".json.gz" if comp == "gzip" else ".json")
        if st == 409 and fname in self.created:
            self.created.discard(fname)     # a reused stack: kept from before
        elif st != 200:
            raise RuntimeError("backup %s: %d %s" % (name, st, d))
        sha = self.stored_sha(fname, storage)
        size = None
        for b in c.json("GET", API + "?storage=" + storage)[1]["data"][
                "backups"]:
            if b["name"] == fname:
                size = b["size"]
        self.expected[fname] = (storage, sha, size)

    # ---- the clients -----------------------------------------------------
    def check_list(self, body, storage):
        d = json.loads(body)
        if not d.get("success"):
            return "success is not true"
        names = set()
        for b in d["data"]["backups"]:
            for k in ("name", "storage", "size", "backupName",
                      "documentCount", "digestStatus"):
                if k not in b:
                    return "%s has no %s" % (b.get("name"), k)
            if b["storage"] != storage:
                return "%s in storage %s" % (b["name"], b["storage"])
            names.add(b["name"])
        want = {n for n, v in self.expected.items() if v[0] == storage}
        if not want <= names:
            return "missing %s" % sorted(want - names)
        with self.lock:
            known = set(self.expected) | self.created
        # A backup listed before its job answered is fine if it is ours.
        extra = {n for n in names - known if not n.startswith("soak-")}
        if extra:
            return "unexpected %s" % sorted(extra)
        if d["data"]["count"] != len(d["data"]["backups"]):
            return "count %s for %d" % (d["data"]["count"],
                                        len(d["data"]["backups"]))
        return None

    def worker(self, seed, deadline):
        rnd = random.Random(seed)
        c = self.client()
        names = sorted(self.expected)
        while not self.stop.is_set() and time.monotonic() < deadline:
            if rnd.random() < 0.6:
                storage = rnd.choice(("fs", "tar"))
                path = API + "?storage=" + storage
                kind = "list"
            else:
                # The big files one download in ten.
                big = [n for n in names if n.startswith("big-")]
                name = rnd.choice(big if rnd.random() < 0.1 else
                                  [n for n in names if n not in big])
                storage = self.expected[name][0]
                path = API + "/download?" + urllib.parse.urlencode(
                    {"name": name, "storage": storage})
                kind = "download"
            t0 = time.monotonic()
            try:
                st, body = c.request("GET", path)
            except Exception as e:
                self.stats.error("%s %s: %r" % (kind, path, e))
                continue
            dt = time.monotonic() - t0
            if st != 200:
                self.stats.error("%s %s: status %d %s" % (kind, path, st,
                                                          body[:200]))
                continue
            if kind == "list":
                try:
                    why = self.check_list(body, storage)
                except Exception as e:
                    why = "not JSON: %r" % e
                if why:
                    self.stats.error("list %s: %s" % (storage, why))
                    continue
            else:
                sha = hashlib.sha256(body).hexdigest()
                if sha != self.expected[name][1]:
                    self.stats.error("download %s: %d bytes, sha256 %s"
                                     % (name, len(body), sha))
                    continue
            self.stats.add(kind, dt, len(body))
        c.close()

    # ---- backups and restores while the load runs -----------------------
    def jobs(self, deadline, tag):
        c = self.client(120)
        n = 0
        restore = None
        while not self.stop.is_set() and time.monotonic() < deadline:
            try:
                if restore is None:
                    st, d = c.json("PUT", API, {
                        "backupName": "small-fs-gz.json.gz", "storage": "fs",
                        "targetDatabase": "soakrestore", "dropExisting": True,
                        "async": True})
                    if st != 202:
                        raise RuntimeError("restore: %d %s" % (st, d))
                    restore = d["data"]["jobId"]
                n += 1
                name = "soak-%s%d-%d" % (tag, os.getpid(), n)
                st, d = c.json("POST", API, {"backupName": name,
                                             "compression": "gzip",
                                             "async": True})
                if st != 202:
                    raise RuntimeError("backup: %d %s" % (st, d))
                with self.lock:
                    self.created.add(name + ".json.gz")
                s, d = self.wait_job(c, d["data"]["jobId"])
                if s != "done":
                    raise RuntimeError("backup job %s: %s" % (s, d))
                self.jobs_done["backup"] += 1
                self.stop.wait(0.5)
                st, d = c.json("GET", API + "?job=" + restore)
                s = d["data"]["state"]
                if s == "done":
                    self.jobs_done["restore"] += 1
                    restore = None
                elif s in ("failed", "canceled"):
                    raise RuntimeError("restore job %s: %s" % (s, d))
            except Exception as e:
                self.job_errors.append(repr(e))
                time.sleep(0.5)
        if restore is not None:
            s, d = self.wait_job(c, restore)
            if s == "done":
                self.jobs_done["restore"] += 1
            else:
                self.job_errors.append("restore job %s: %s" % (s, d))
        c.close()

    # ---- slow readers ----------------------------------------------------
    def raw_get(self, path, rcvbuf):
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        s.settimeout(30)
        s.connect(("127.0.0.1", self.a.port))
        s = CTX.wrap_socket(s)
        s.sendall(("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: %s"
                   "\r\nConnection: close\r\n\r\n" % (path, self.auth))
                  .encode())
        return s

    def slow_reader(self, res, rate, stop):
        """Read the big tar download at `rate` bytes/s until told to stop."""
        path = API + "/download?name=big-tar.json&storage=tar"
        res["bytes"] = 0
        res["eof"] = False
        try:
            s = self.raw_get(path, 8192)
            t0 = time.monotonic()
            while not stop.is_set():
                b = s.recv(1024)
                if not b:
                    res["eof"] = True
                    break
                res["bytes"] += len(b)
                ahead = res["bytes"] / rate - (time.monotonic() - t0)
                if ahead > 0:
                    stop.wait(ahead)
            s.close()
        except Exception as e:
            res["error"] = repr(e)

    def staller(self, res, stop):
        """Ask for the big tar download, read nothing until told, then
        drain what is left: fewer bytes than the file means the server
        ended the connection while nobody read."""
        path = API + "/download?name=big-tar.json&storage=tar"
        res["bytes"] = 0
        try:
            s = self.raw_get(path, 4096)
            res["start"] = time.monotonic()
            stop.wait()
            s.settimeout(10)
            while True:
                b = s.recv(65536)
                if not b:
                    break
                res["bytes"] += len(b)
            s.close()
        except Exception as e:
            res["error"] = repr(e)

    def probe(self, res, stop):
        """A list on a fresh connection every half second: its worst time
        while the slow readers crawl."""
        res["max"] = 0.0
        res["n"] = 0
        while not stop.wait(0.5):
            c = self.client()
            t0 = time.monotonic()
            try:
                st, _ = c.request("GET", API)
                if st != 200:
                    res["bad"] = st
            except Exception as e:
                res["bad"] = repr(e)
            res["max"] = max(res["max"], time.monotonic() - t0)
            res["n"] += 1
            c.close()

    # ---- one phase -------------------------------------------------------
    def phase(self, seconds, tag):
        deadline = time.monotonic() + seconds
        ts = [threading.Thread(target=self.worker, args=(i, deadline))
              for i in range(self.a.clients)]
        ts.append(threading.Thread(target=self.jobs, args=(deadline, tag)))
        for t in ts:
            t.start()
        for t in ts:
            t.join()

    def settle(self, want_fds, limit=WAIT):
        """Wait for the responder's fds to come back to want_fds, give or
        take the FD_SLACK the pool may grow by (what the leak checks
        allow): waiting for the exact count would sit out the whole
        deadline whenever the pool kept one more connection."""
        end = time.monotonic() + limit
        fds = proc_figures(self.a.pid)[0]
        while fds > want_fds + FD_SLACK and time.monotonic() < end:
            time.sleep(0.2)
            fds = proc_figures(self.a.pid)[0]
        return proc_figures(self.a.pid)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--user", required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--pid", type=int, required=True, help="mbk-fcgi's pid")
    p.add_argument("--run", required=True, help="the stack's run directory")
    p.add_argument("--clients", type=int, default=30)
    p.add_argument("--seconds", type=float, default=15)
    p.add_argument("--warmup", type=float, default=4)
    p.add_argument("--slow", type=int, default=2,
                   help="slow readers of the streamed tar download")
    p.add_argument("--rate", type=int, default=10240, help="their bytes/s")
    p.add_argument("--stall-wait", type=float, default=0,
                   help="seconds the stalled reader waits at least "
                        "(0: no stalled reader)")
    p.add_argument("--flood", type=int, default=0,
                   help="then this many slow readers at once, and a list")
    p.add_argument("--pad-docs", type=int, default=8000)
    p.add_argument("--rss-bound", type=int, default=16384,
                   help="kB of RSS growth allowed after the warm-up")
    p.add_argument("--no-rss", action="store_true",
                   help="report RSS, do not judge it (ASan)")
    p.add_argument("--latency-bound", type=float, default=0,
                   help="seconds a list may take while slow readers crawl "
                        "(0: report only; make check never judges speed)")
    a = p.parse_args()
    L = Load(a)
    fails = []

    t = time.monotonic()
    L.setup()
    print("# setup: %d backups in %.1f s; big tar download %d bytes"
          % (len(L.expected), time.monotonic() - t,
             L.expected["big-tar.json"][2]))
    f0 = proc_figures(a.pid)
    t = time.monotonic()
    L.phase(a.warmup, "w")
    print("# warm-up took %.1f s" % (time.monotonic() - t))
    warm = L.stats
    L.stats = Stats()
    before = L.settle(f0[0])
    print("# warm-up: %d requests, %d errors; responder fds %d, RSS %d kB, "
          "threads %d" % (len(warm.lat["list"]) + len(warm.lat["download"]),
                          len(warm.errors), before[0], before[1], before[2]))

    # The slow readers and the probe start first and run through the load.
    stop_slow = threading.Event()
    slow = [{} for _ in range(a.slow)]
    side = [threading.Thread(target=L.slow_reader, args=(r, a.rate, stop_slow))
            for r in slow]
    probe = {}
    side.append(threading.Thread(target=L.probe, args=(probe, stop_slow)))
    stall = {}
    stop_stall = threading.Event()
    if a.stall_wait > 0:
        st_t = threading.Thread(target=L.staller, args=(stall, stop_stall))
        st_t.start()
    for x in side:
        x.start()
    # The slow readers are connected and reading before the load starts.
    if not wait_for(lambda: all(r.get("bytes", 0) > 0 or "error" in r
                                for r in slow)):
        fails.append("the slow readers got no bytes in %d s: %s"
                     % (WAIT, slow))
    during = proc_figures(a.pid)
    t0 = time.monotonic()
    L.phase(a.seconds, "m")
    elapsed = time.monotonic() - t0
    print("# load took %.1f s" % elapsed)
    stop_slow.set()
    for x in side:
        x.join()
    if a.stall_wait > 0:
        left = stall.get("start", 0) + a.stall_wait - time.monotonic()
        if left > 0:
            print("# waiting %.0f s more for the stalled reader" % left)
            time.sleep(left)
        stop_stall.set()
        st_t.join()
    after = L.settle(before[0])

    s = L.stats
    nl, nd = len(s.lat["list"]), len(s.lat["download"])
    n = nl + nd + len(s.errors)
    allat = s.lat["list"] + s.lat["download"]
    print("clients %d, %.1f s: %d requests (%d lists, %d downloads, %.1f MB), "
          "%d errors, %.0f requests/s"
          % (a.clients, elapsed, n, nl, nd, s.bytes / 1e6, len(s.errors),
             n / elapsed))
    print("latency p50 %.3f s, p99 %.3f s (lists p50 %.3f p99 %.3f; "
          "downloads p50 %.3f p99 %.3f)"
          % (pct(allat, 50), pct(allat, 99), pct(s.lat["list"], 50),
             pct(s.lat["list"], 99), pct(s.lat["download"], 50),
             pct(s.lat["download"], 99)))
    print("jobs meanwhile: %d backups, %d restores done, %d job errors"
          % (L.jobs_done["backup"], L.jobs_done["restore"],
             len(L.job_errors)))
    print("responder fds %d -> %d (%d during), RSS %d -> %d kB (%+d), "
          "threads %d -> %d"
          % (before[0], after[0], during[0], before[1], after[1],
             after[1] - before[1], before[2], after[2]))
    for i, r in enumerate(slow):
        print("slow reader %d: %d bytes at %d B/s, %s%s"
              % (i, r.get("bytes", 0), a.rate,
                 "ended by the server" if r.get("eof") else "still crawling",
                 (", " + r["error"]) if "error" in r else ""))
    print("probe while they crawl: %d lists on new connections, worst %.3f s"
          % (probe.get("n", 0), probe.get("max", 0)))
    if a.stall_wait > 0:
        print("stalled reader: %d of %d bytes after %.0f s without reading%s"
              % (stall.get("bytes", 0), L.expected["big-tar.json"][2],
                 a.stall_wait, (", " + stall["error"]) if "error" in stall
                 else ""))

    for e in s.errors[:10]:
        print("# error: " + e)
    for e in L.job_errors[:10]:
        print("# job error: " + e)
    if s.errors:
        fails.append("%d wrong answers" % len(s.errors))
    if L.job_errors:
        fails.append("%d job errors" % len(L.job_errors))
    if L.jobs_done["backup"] == 0 or L.jobs_done["restore"] == 0:
        fails.append("no backup or no restore completed during the load")
    if nl == 0 or nd == 0:
        fails.append("no lists or no downloads answered")
    # The driver's pool opens connections lazily, up to threads + jobs, so
    # a few more fds after the load than after the warm-up is the pool
    # growing; a leak grows with the requests (thousands here).
    if after[0] > before[0] + FD_SLACK:
        fails.append("fds leaked: %d -> %d" % (before[0], after[0]))
    if not a.no_rss and after[1] - before[1] > a.rss_bound:
        fails.append("RSS grew by %d kB (bound %d)"
                     % (after[1] - before[1], a.rss_bound))
    for i, r in enumerate(slow):
        if "error" in r or r.get("eof") or r.get("bytes", 0) == 0:
            fails.append("slow reader %d did not crawl to the end: %s"
                         % (i, r))
    if probe.get("n", 0) == 0 or "bad" in probe:
        fails.append("lists were not answered while slow readers crawled: "
                     "%s" % probe)
    if a.latency_bound > 0 and probe.get("max", 0) > a.latency_bound:
        fails.append("a list took %.3f s while slow readers crawled (bound "
                     "%.1f s)" % (probe["max"], a.latency_bound))
    if a.stall_wait > 0 and ("error" in stall or stall.get("bytes", 0) >=
                             L.expected["big-tar.json"][2]):
        fails.append("the stalled reader was not cut off: %s" % stall)
    if a.flood > 0:
        # More slow readers than the responder has threads.
        stop_f = threading.Event()
        fl = [{} for _ in range(a.flood)]
        ft = [threading.Thread(target=L.slow_reader, args=(r, a.rate, stop_f))
              for r in fl]
        for x in ft:
            x.start()
        # Every reader holds its download (bytes came) before the list.
        held = wait_for(lambda: all(r.get("bytes", 0) > 0 or "error" in r
                                    for r in fl))
        c = L.client()
        t = time.monotonic()
        try:
            st, _ = c.request("GET", API)
            res = "status %d in %.3f s" % (st, time.monotonic() - t)
            good = st == 200
        except Exception as e:
            res = "no answer in %.1f s (%r)" % (time.monotonic() - t, e)
            good = False
        # Answered while they all still held their downloads: a reader that
        # ended first would have freed what the list needed.
        ended = [i for i, r in enumerate(fl) if r.get("eof") or "error" in r]
        if not held or ended:
            res += "; inconclusive: readers %s not all reading (%s)" % (
                ended, "started" if held else "never started")
            good = False
        c.close()
        mid = proc_figures(a.pid)
        stop_f.set()
        for x in ft:
            x.join()
        end = L.settle(before[0])
        print("flood: %d slow readers of the streamed download: a list got "
              "%s; responder fds %d with them, %d after"
              % (a.flood, res, mid[0], end[0]))
        print("FLOOD: %s" % ("PASS" if good else "FAIL"))
        if end[0] > before[0] + FD_SLACK:
            fails.append("fds leaked after the flood: %d -> %d"
                         % (before[0], end[0]))
    for f in fails:
        print("FAIL: " + f)
    print("RESULT: %s" % ("FAIL" if fails else "PASS"))
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
