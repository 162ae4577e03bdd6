#!/usr/bin/env python3
"""Stands in for Slack incoming webhooks and generic webhooks: records every POST.

Usage: alert_receiver.py PORT

  POST /ok/...                 200 "ok"
  POST /flaky/N/...            500 for the first N requests to that path, then 200 "ok"
  POST /ratelimited/...        429 with Retry-After: 1 on the first request to that path, then 200
  POST /fail/CODE/...          always CODE (Slack answers 400 invalid_payload, 404 no_service, …)
  GET  /received               every recorded POST as JSON: [{"path", "headers", "body"}, …]
                               (header names lower-cased, body as text, in arrival order)
  GET  /count/PATH             how many POSTs PATH has seen (plain text)
"""
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

received = []
seen = {}
lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def reply(self, status, body="", headers=None):
        data = body.encode()
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length).decode("utf-8", "replace")
        path = self.path
        with lock:
            received.append({"path": path,
                             "headers": {k.lower(): v for k, v in self.headers.items()},
                             "body": body})
            seen[path] = seen.get(path, 0) + 1
            n = seen[path]
        parts = path.strip("/").split("/")
        if parts[0] == "ok":
            return self.reply(200, "ok")
        if parts[0] == "flaky":
            if n <= int(parts[1]):
                return self.reply(500, "temporary failure %d" % n)
            return self.reply(200, "ok")
        if parts[0] == "ratelimited":
            if n == 1:
                return self.reply(429, "rate_limited", {"Retry-After": "1"})
            return self.reply(200, "ok")
        if parts[0] == "fail":
            return self.reply(int(parts[1]), "invalid_payload" if parts[1] == "400" else "failure")
        return self.reply(404, "no_service")

    def do_GET(self):
        if self.path == "/received":
            with lock:
                return self.reply(200, json.dumps(received), {"Content-Type": "application/json"})
        if self.path.startswith("/count/"):
            with lock:
                return self.reply(200, str(seen.get(self.path[len("/count"):], 0)))
        return self.reply(404, "no such path")


if __name__ == "__main__":
    server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler)
    server.daemon_threads = True
    server.serve_forever()
