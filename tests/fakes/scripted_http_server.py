#!/usr/bin/env python3
"""A small HTTP server with scripted misbehaviour, for the HTTP client's tests.

Usage: scripted_http_server.py PORT

  GET /ok                      200 "hello"
  GET /flaky/ID?fail=N         500 for the first N requests of ID, then 200 "ok after N"
  GET /ratelimit/ID            429 with Retry-After: 1 on the first request of ID, then 200
  GET /status/CODE             that status, body "status CODE"
  GET /bytes?n=N               N bytes (a repeating pattern) with Content-Length
  GET /truncated?n=N           declares Content-Length N, sends N/2 bytes, closes
  GET /headers                 the request's headers as a JSON object (names lower-cased)
  GET /denied/...              403 with an S3 AccessDenied error body (counted as "denied")
  GET /moved/...               301 with an S3 PermanentRedirect body naming eu-central-1
  GET /count/KEY               how many requests KEY (e.g. flaky/ID) has seen (plain text)
  GET /garbage/...             200 with a body that is neither XML nor JSON (a broken endpoint)
  GET /hang/...                sends nothing for 30 s, then 200 (a hanging endpoint)

  S3 multipart uploads to bucket "mpfail" (parts after the first fail with 500) and "mperr"
  (every part stored, CompleteMultipartUpload answers 200 with an <Error> body):
  POST /BUCKET/KEY?uploads=            200 with UploadId "upload-1"
  PUT /BUCKET/KEY?partNumber=N&…       see above; counted as "part/BUCKET"
  POST /BUCKET/KEY?uploadId=…          the completion
  DELETE /BUCKET/KEY?uploadId=…        204, counted as "abort/BUCKET"
"""
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

seen = {}
lock = threading.Lock()


def count(key):
    with lock:
        seen[key] = seen.get(key, 0) + 1
        return seen[key]


def pattern(n):
    block = bytes(range(256))
    return (block * (n // 256 + 1))[:n]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def reply(self, status, body=b"", headers=None):
        if isinstance(body, str):
            body = body.encode()
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        url = urlparse(self.path)
        q = {k: v[0] for k, v in parse_qs(url.query).items()}
        parts = url.path.strip("/").split("/")
        if parts[0] == "ok":
            return self.reply(200, "hello")
        if parts[0] == "flaky":
            n = count("flaky/" + parts[1])
            fail = int(q.get("fail", "1"))
            if n <= fail:
                return self.reply(500, "temporary failure %d" % n)
            return self.reply(200, "ok after %d" % fail)
        if parts[0] == "ratelimit":
            if count("ratelimit/" + parts[1]) == 1:
                return self.reply(429, "slow down", {"Retry-After": "1"})
            return self.reply(200, "ok")
        if parts[0] == "status":
            return self.reply(int(parts[1]), "status " + parts[1])
        if parts[0] == "bytes":
            return self.reply(200, pattern(int(q["n"])))
        if parts[0] == "truncated":
            n = int(q["n"])
            self.send_response(200)
            self.send_header("Content-Length", str(n))
            self.end_headers()
            self.wfile.write(pattern(n // 2))
            self.wfile.flush()
            self.close_connection = True
            return
        if parts[0] == "headers":
            return self.reply(200, json.dumps({k.lower(): v for k, v in self.headers.items()}))
        if parts[0] == "denied":
            count("denied")
            return self.reply(403, "<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>",
                              {"Content-Type": "application/xml"})
        if parts[0] == "moved":
            return self.reply(301, "<Error><Code>PermanentRedirect</Code><Message>Use the right endpoint"
                                   "</Message><Region>eu-central-1</Region></Error>",
                              {"Content-Type": "application/xml", "x-amz-bucket-region": "eu-central-1"})
        if parts[0] == "garbage":
            return self.reply(200, b"\x00\x01<<not a listing{", {"Content-Type": "application/xml"})
        if parts[0] == "hang":
            time.sleep(30)
            return self.reply(200, "too late")
        if parts[0] == "count":
            with lock:
                return self.reply(200, str(seen.get("/".join(parts[1:]), 0)))
        return self.reply(404, "no such path")


    def multipart(self):
        url = urlparse(self.path)
        q = parse_qs(url.query, keep_blank_values=True)
        bucket = url.path.strip("/").split("/")[0]
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length) if length else b""
        if self.command == "POST" and "uploads" in q:
            return self.reply(200, "<InitiateMultipartUploadResult><UploadId>upload-1</UploadId>"
                                   "</InitiateMultipartUploadResult>", {"Content-Type": "application/xml"})
        if self.command == "PUT" and "partNumber" in q:
            count("part/" + bucket)
            if bucket == "mpfail" and int(q["partNumber"][0]) > 1:
                return self.reply(500, "<Error><Code>InternalError</Code></Error>")
            return self.reply(200, "", {"ETag": '"etag-%s-%d"' % (q["partNumber"][0], len(body))})
        if self.command == "POST" and "uploadId" in q:
            return self.reply(200, "<Error><Code>InternalError</Code><Message>We encountered an internal error"
                                   "</Message></Error>", {"Content-Type": "application/xml"})
        if self.command == "DELETE" and "uploadId" in q:
            count("abort/" + bucket)
            return self.reply(204)
        return self.reply(400, "unexpected request")

    do_PUT = multipart
    do_POST = multipart
    do_DELETE = multipart


if __name__ == "__main__":
    server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler)
    server.daemon_threads = True
    server.serve_forever()
