#!/usr/bin/env python3
"""faultproxy.py: an HTTP reverse proxy that fails every Nth request.

Put it between an S3 client and the gateway to test retries:

    faultproxy.py --upstream http://127.0.0.1:PORT --every 3 \
        --port-file DIR/proxy.port --pid-file DIR/proxy.pid &

Every request is forwarded unchanged (method, path and query, every header
including Host, so an AWS Signature V4 made for the proxy's address is still
valid at the gateway) and the answer streamed back, except the Nth, 2Nth,
3Nth... request, which is answered with the status of --status (default 503)
and S3's SlowDown error XML, without reaching the gateway.  Its request body
is read first, so the connection stays usable.

It listens on a free loopback port (or --port), prints the port on stdout,
writes it to --port-file and its PID to --pid-file once it accepts
connections, and logs one line per request on stderr:
"faultproxy: <n> <METHOD> <path> -> <status>".  Python 3 standard library
only; SIGTERM or SIGINT stops it.
"""

import argparse
import http.client
import http.server
import os
import signal
import sys
import threading
import urllib.parse

# Headers that describe one hop, not the message (RFC 9110 section 7.6.1).
HOP = {"connection", "keep-alive", "proxy-connection", "te", "trailer",
       "transfer-encoding", "upgrade", "expect"}
CHUNK = 1 << 16


class Proxy(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, addr, upstream, every, status):
        super().__init__(addr, Handler)
        self.upstream = upstream
        self.every = every
        self.status = status
        self.count = 0
        self.lock = threading.Lock()

    def next_number(self):
        with self.lock:
            self.count += 1
            return self.count


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "faultproxy"

    def log_message(self, fmt, *args):  # one line per request, below
        pass

    def note(self, n, status):
        sys.stderr.write("faultproxy: %d %s %s -> %d\n"
                         % (n, self.command, self.path, status))
        sys.stderr.flush()

    def read_body(self):
        """The request body as a list of byte strings (plain or chunked)."""
        parts = []
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return parts, True
                parts.append(self.rfile.read(size))
                self.rfile.readline()
        left = int(self.headers.get("Content-Length") or 0)
        while left > 0:
            b = self.rfile.read(min(left, CHUNK))
            if not b:
                raise ConnectionError("client closed the request body")
            parts.append(b)
            left -= len(b)
        return parts, False

    def fault(self, n):
        self.read_body()
        body = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error>"
                "<Code>SlowDown</Code><Message>Please reduce your request "
                "rate (faultproxy: request %d)</Message><Resource>%s"
                "</Resource><RequestId>faultproxy-%d</RequestId></Error>"
                % (n, self.path.split("?")[0].replace("&", "&amp;")
                   .replace("<", "&lt;"), n)).encode()
        self.send_response(self.server.status)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Retry-After", "0")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        self.note(n, self.server.status)

    def forward(self, n):
        parts, chunked = self.read_body()
        u = self.server.upstream
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=600)
        try:
            conn.putrequest(self.command, self.path, skip_host=True,
                            skip_accept_encoding=True)
            for k, v in self.headers.items():
                if k.lower() not in HOP:
                    conn.putheader(k, v)
            if chunked:  # the gateway gets the decoded body, sized
                conn.putheader("Content-Length",
                               str(sum(len(p) for p in parts)))
            conn.endheaders()
            for p in parts:
                conn.send(p)
            r = conn.getresponse()
            length = r.getheader("Content-Length")
            data = None
            if length is None and self.command != "HEAD":
                data = r.read()
                length = str(len(data))
            # The gateway's own Date and Server go through, not ours.
            self.send_response_only(r.status, r.reason)
            for k, v in r.getheaders():
                if k.lower() not in HOP and k.lower() != "content-length":
                    self.send_header(k, v)
            if length is not None:
                self.send_header("Content-Length", length)
            self.end_headers()
            if data is not None:
                self.wfile.write(data)
            elif self.command != "HEAD":
                while True:
                    b = r.read(CHUNK)
                    if not b:
                        break
                    self.wfile.write(b)
            self.note(n, r.status)
        finally:
            conn.close()

    def handle_one(self):
        n = self.server.next_number()
        if self.server.every > 0 and n % self.server.every == 0:
            self.fault(n)
        else:
            self.forward(n)

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = do_OPTIONS = \
        handle_one


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--upstream", required=True,
                    help="the server to forward to: http://HOST:PORT")
    ap.add_argument("--every", type=int, default=3,
                    help="fail request N, 2N, ... (0: never; default 3)")
    ap.add_argument("--status", type=int, default=503,
                    help="status of a failed request (default 503)")
    ap.add_argument("--port", type=int, default=0,
                    help="port on 127.0.0.1 (default: a free one)")
    ap.add_argument("--port-file")
    ap.add_argument("--pid-file")
    a = ap.parse_args()
    u = urllib.parse.urlsplit(a.upstream)
    if u.scheme != "http" or not u.hostname or not u.port:
        ap.error("--upstream must be http://HOST:PORT, not %r" % a.upstream)
    if a.every < 0:
        ap.error("--every must be 0 or more")
    srv = Proxy(("127.0.0.1", a.port), u, a.every, a.status)
    port = srv.server_address[1]
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    signal.signal(signal.SIGINT, lambda *_: os._exit(0))
    for path, text in ((a.pid_file, os.getpid()), (a.port_file, port)):
        if path:  # written whole, then renamed: readers never see half
            with open(path + ".tmp", "w") as f:
                f.write("%d\n" % text)
            os.rename(path + ".tmp", path)
    print(port, flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
