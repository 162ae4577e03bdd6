#!/usr/bin/env python3
"""A fake Google OAuth token endpoint + BigQuery REST API for billingfoot's tests.

It follows the documented protocol closely enough to exercise a real client over real sockets:
  POST /token                                   JWT bearer grant (RFC 7523): the RS256 signature
                                                is verified with the test key pair's public key;
                                                claims iss/aud/scope/iat/exp are checked.
  GET  /bigquery/v2/projects/P/datasets/D/tables/T                  tables.get (schema)
  POST /bigquery/v2/projects/P/queries                              jobs.query
  GET  /bigquery/v2/projects/P/queries/JOB?pageToken=…              jobs.getQueryResults
Rows use BigQuery's cell encoding ({"f":[{"v":…}]}), timestamps as int64 microseconds when
formatOptions.useInt64Timestamp is set, else float seconds in E-notation.

It cannot run SQL: it understands the two query shapes the connector sends (a per-month
fingerprint with GROUP BY, and a SELECT of fields for one invoice month, both with named
STRING parameters) and answers them from the table's rows, read from --rows (JSON lines shaped
like the export) on every query, so a test can append late rows between syncs.

Failures it can inject, each once: a 500 on the first getQueryResults page request, a 403
rateLimitExceeded on the second jobs.query, a jobComplete=false on the first extraction query.
Tokens expire after --token-lifetime seconds or --token-uses authorized requests (401).
Counters are written to --stats after every request. Listens on 127.0.0.1:--port (0 = any free
port) and prints "PORT <n>" once listening.
"""
import argparse
import base64
import json
import re
import secrets
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

GOOGLE_TOKEN_AUDIENCE = "https://oauth2.googleapis.com/token"
SCOPES = ("https://www.googleapis.com/auth/bigquery", "https://www.googleapis.com/auth/cloud-platform")

args = None
public_key = None
lock = threading.RLock()  # send_json saves stats under it, also from inside locked blocks
tokens = {}  # token -> {"expires": epoch seconds, "uses": int}
jobs = {}  # job id -> {"schema": [...], "rows": [...], "polls_left": int}
request_ids = {}  # requestId -> job id
stats = {"tokens_issued": 0, "jwt_rejected": 0, "unauthorized": 0, "queries": 0,
         "result_pages": 0, "injected_500": 0, "injected_rate_limit": 0, "injected_incomplete": 0}


def b64url_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def save_stats():
    if args.stats:
        with open(args.stats + ".tmp", "w") as f:
            json.dump(stats, f)
        import os
        os.replace(args.stats + ".tmp", args.stats)


def google_error(code, status, reason, message):
    return code, {"error": {"code": code, "message": message, "status": status,
                            "errors": [{"message": message, "domain": "global", "reason": reason}]}}


def load_schema():
    with open(args.schema) as f:
        fields = json.load(f)
    if args.standard:  # the standard export has no resource-level fields
        fields = [f for f in fields if f["name"] not in ("resource", "price")]
    return fields


def load_rows():
    rows = []
    with open(args.rows) as f:
        for line in f:
            if line.strip():
                rows.append(json.loads(line, parse_float=str))  # keep the digits as written
    return rows


def to_micros(value):
    text = value.replace(" UTC", "Z").replace("Z", "+00:00")
    from datetime import datetime
    moment = datetime.fromisoformat(text)
    return int(moment.timestamp()) * 1_000_000 + moment.microsecond


def encode_scalar(field, value, int64_timestamps):
    if value is None:
        return None
    kind = field["type"]
    if kind in ("RECORD", "STRUCT"):
        return {"f": [{"v": encode(sub, value.get(sub["name"]), int64_timestamps)} for sub in field["fields"]]}
    if kind == "TIMESTAMP":
        micros = to_micros(value)
        return str(micros) if int64_timestamps else "%.7E" % (micros / 1e6)
    if kind == "BOOLEAN":
        return "true" if value else "false"
    return str(value)


def encode(field, value, int64_timestamps):
    if field.get("mode") == "REPEATED":
        return [{"v": encode_scalar(field, item, int64_timestamps)} for item in (value or [])]
    return encode_scalar(field, value, int64_timestamps)


def parameters(body):
    out = {}
    for p in body.get("queryParameters", []):
        out[p["name"]] = p["parameterValue"]["value"]
    return out


def run_query(body):
    """Returns (schema, rows as dicts) or an error tuple."""
    sql = body.get("query", "")
    if body.get("useLegacySql", True) is not False:
        return google_error(400, "INVALID_ARGUMENT", "invalidQuery", "legacy SQL is not supported here")
    ref = re.search(r"`([^`]+)`", sql)
    wanted = "%s.%s.%s" % (args.project, args.dataset, args.table)
    if not ref or ref.group(1) != wanted:
        name = ref.group(1) if ref else "?"
        return google_error(404, "NOT_FOUND", "notFound", "Not found: Table %s was not found in location US" % name)
    params = parameters(body)
    rows = load_rows()
    if "GROUP BY" in sql.upper():
        first, last = params["first_month"], params["last_month"]
        months = {}
        for r in rows:
            m = r["invoice"]["month"]
            if first <= m <= last:
                count, newest = months.get(m, (0, 0))
                months[m] = (count + 1, max(newest, to_micros(r["export_time"])))
        schema = [{"name": "invoice_month", "type": "STRING", "mode": "NULLABLE"},
                  {"name": "row_count", "type": "INTEGER", "mode": "NULLABLE"},
                  {"name": "max_export_time", "type": "INTEGER", "mode": "NULLABLE"}]
        result = [{"invoice_month": m, "row_count": c, "max_export_time": t} for m, (c, t) in sorted(months.items())]
        return schema, result
    select = re.search(r"SELECT\s+(.*?)\s+FROM", sql, re.S | re.I)
    names = [n.strip() for n in select.group(1).split(",")]
    by_name = {f["name"]: f for f in load_schema()}
    unknown = [n for n in names if n not in by_name]
    if unknown:
        return google_error(400, "INVALID_ARGUMENT", "invalidQuery", "Unrecognized name: %s at [1:8]" % unknown[0])
    schema = [by_name[n] for n in names]
    month = params["invoice_month"]
    result = [{n: r.get(n) for n in names} for r in rows if r["invoice"]["month"] == month]
    return schema, result


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *a):  # quiet: tests read stdout for the port only
        pass

    def send_json(self, code, payload):
        data = json.dumps(payload).encode()
        with lock:  # before answering, so a client that reads the stats next sees this request
            save_stats()
        self.send_response(code)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    # ---- OAuth ------------------------------------------------------------------------------
    def token(self):
        form = urllib.parse.parse_qs(self.body().decode())
        reject = lambda why: self.send_json(400, {"error": "invalid_grant", "error_description": why})
        if form.get("grant_type") != ["urn:ietf:params:oauth:grant-type:jwt-bearer"]:
            return self.send_json(400, {"error": "unsupported_grant_type", "error_description": "Invalid grant_type"})
        try:
            header_b64, claims_b64, signature_b64 = form["assertion"][0].split(".")
            header = json.loads(b64url_decode(header_b64))
            claims = json.loads(b64url_decode(claims_b64))
            if header.get("alg") != "RS256":
                raise ValueError("alg")
            public_key.verify(b64url_decode(signature_b64), (header_b64 + "." + claims_b64).encode(),
                              padding.PKCS1v15(), hashes.SHA256())
        except (InvalidSignature, ValueError, KeyError):
            with lock:
                stats["jwt_rejected"] += 1
            return reject("Invalid JWT Signature.")
        now = time.time()
        if claims.get("aud") != GOOGLE_TOKEN_AUDIENCE:
            return reject("Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe.")
        if args.client_email and claims.get("iss") != args.client_email:
            return reject("Invalid JWT: iss is not the service account.")
        if not any(s in claims.get("scope", "").split() for s in SCOPES):
            return self.send_json(400, {"error": "invalid_scope", "error_description": "Invalid OAuth scope."})
        if abs(claims.get("iat", 0) - now) > 300 or not 0 < claims.get("exp", 0) - claims.get("iat", 0) <= 3600:
            return reject("Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe.")
        token = "ya29.fake-" + secrets.token_hex(16)
        with lock:
            tokens[token] = {"expires": now + args.token_lifetime, "uses": 0}
            stats["tokens_issued"] += 1
        self.send_json(200, {"access_token": token, "expires_in": args.token_lifetime, "token_type": "Bearer"})

    def authorized(self):
        auth = self.headers.get("Authorization", "")
        token = auth[len("Bearer "):] if auth.startswith("Bearer ") else ""
        with lock:
            if args.static_token and token == args.static_token:
                return True
            t = tokens.get(token)
            ok = t is not None and time.time() < t["expires"] and (args.token_uses == 0 or t["uses"] < args.token_uses)
            if ok:
                t["uses"] += 1
            else:
                stats["unauthorized"] += 1
        if not ok:
            code, payload = google_error(401, "UNAUTHENTICATED", "authError",
                                         "Request had invalid authentication credentials. Expected OAuth 2 access "
                                         "token, login cookie or other valid authentication credential.")
            self.send_json(code, payload)
        return ok

    # ---- BigQuery ---------------------------------------------------------------------------
    def page(self, job_id, job, query):
        max_results = min(int(query.get("maxResults", [args.page_size])[0]), args.page_size)
        offset = int(b64url_decode(query["pageToken"][0]).decode()) if "pageToken" in query else 0
        int64 = query.get("formatOptions.useInt64Timestamp", ["false"])[0] == "true" or job["int64"]
        rows = job["rows"][offset:offset + max_results]
        payload = {"kind": "bigquery#getQueryResultsResponse", "jobComplete": True,
                   "jobReference": {"projectId": job["project"], "jobId": job_id, "location": "US"},
                   "schema": {"fields": job["schema"]}, "totalRows": str(len(job["rows"])),
                   "rows": [{"f": [{"v": encode(f, r.get(f["name"]), int64)} for f in job["schema"]]} for r in rows]}
        if not payload["rows"]:
            del payload["rows"]
        if offset + max_results < len(job["rows"]):
            payload["pageToken"] = base64.urlsafe_b64encode(str(offset + max_results).encode()).decode().rstrip("=")
        return payload

    def do_POST(self):
        if self.path == "/token":
            return self.token()
        m = re.fullmatch(r"/bigquery/v2/projects/([^/]+)/queries", self.path)
        if not m:
            return self.send_json(*google_error(404, "NOT_FOUND", "notFound", "Not found: " + self.path))
        raw = self.body()
        if not self.authorized():
            return
        if args.deny_jobs:
            return self.send_json(*google_error(403, "PERMISSION_DENIED", "accessDenied",
                                                "Access Denied: Project %s: User does not have bigquery.jobs.create "
                                                "permission in project %s." % (m.group(1), m.group(1))))
        body = json.loads(raw)
        with lock:
            stats["queries"] += 1
            inject = args.rate_limit_once and stats["queries"] == 2 and stats["injected_rate_limit"] == 0
            if inject:
                stats["injected_rate_limit"] += 1
        if inject:
            return self.send_json(*google_error(403, "PERMISSION_DENIED", "rateLimitExceeded",
                                                "Exceeded rate limits: too many api requests per user per method "
                                                "for this user_method."))
        with lock:
            if body.get("requestId") in request_ids:  # a retried jobs.query: the same job
                job_id = request_ids[body["requestId"]]
                return self.send_json(200, self.page(job_id, jobs[job_id], {}))
        result = run_query(body)
        if isinstance(result[0], int):
            return self.send_json(*result)
        schema, rows = result
        job_id = "job_" + secrets.token_hex(8)
        incomplete = args.incomplete_once and "GROUP BY" not in body["query"].upper()
        with lock:
            if incomplete and stats["injected_incomplete"] == 0:
                stats["injected_incomplete"] += 1
            else:
                incomplete = False
            jobs[job_id] = {"schema": schema, "rows": rows, "project": m.group(1), "polls_left": 1 if incomplete else 0,
                            "int64": body.get("formatOptions", {}).get("useInt64Timestamp", False)}
            if body.get("requestId"):
                request_ids[body["requestId"]] = job_id
        if incomplete:
            return self.send_json(200, {"kind": "bigquery#queryResponse", "jobComplete": False,
                                        "jobReference": {"projectId": m.group(1), "jobId": job_id, "location": "US"}})
        self.send_json(200, self.page(job_id, jobs[job_id], {"maxResults": [str(body.get("maxResults", args.page_size))]}))

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(url.query)
        t = re.fullmatch(r"/bigquery/v2/projects/([^/]+)/datasets/([^/]+)/tables/([^/]+)", url.path)
        j = re.fullmatch(r"/bigquery/v2/projects/([^/]+)/queries/([^/]+)", url.path)
        if not (t or j):
            return self.send_json(*google_error(404, "NOT_FOUND", "notFound", "Not found: " + url.path))
        if not self.authorized():
            return
        if t:
            if t.groups() != (args.project, args.dataset, args.table):
                return self.send_json(*google_error(404, "NOT_FOUND", "notFound",
                                                    "Not found: Table %s:%s.%s" % t.groups()))
            return self.send_json(200, {"kind": "bigquery#table", "id": "%s:%s.%s" % t.groups(),
                                        "tableReference": {"projectId": args.project, "datasetId": args.dataset,
                                                           "tableId": args.table},
                                        "schema": {"fields": load_schema()},
                                        "timePartitioning": {"type": "DAY"}})
        with lock:
            job = jobs.get(j.group(2))
            if job is None:
                return self.send_json(*google_error(404, "NOT_FOUND", "notFound", "Not found: Job " + j.group(2)))
            if job["polls_left"] > 0:
                job["polls_left"] -= 1
                return self.send_json(200, {"kind": "bigquery#getQueryResultsResponse", "jobComplete": False,
                                            "jobReference": {"projectId": job["project"], "jobId": j.group(2),
                                                             "location": "US"}})
            inject = args.fail_500_once and "pageToken" in query and stats["injected_500"] == 0
            if inject:
                stats["injected_500"] += 1
            else:
                stats["result_pages"] += 1
        if inject:
            return self.send_json(*google_error(500, "INTERNAL", "backendError", "Internal error encountered."))
        self.send_json(200, self.page(j.group(2), job, query))


def main():
    global args, public_key
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--public-key", required=True, help="PEM public key that verifies the JWTs")
    parser.add_argument("--client-email", default="")
    parser.add_argument("--schema", required=True, help="JSON list of the table's TableFieldSchema")
    parser.add_argument("--rows", required=True, help="JSON lines: the table's rows, export-shaped")
    parser.add_argument("--project", required=True)
    parser.add_argument("--dataset", required=True)
    parser.add_argument("--table", required=True)
    parser.add_argument("--standard", action="store_true", help="serve the standard export (no resource, price)")
    parser.add_argument("--page-size", type=int, default=1000)
    parser.add_argument("--token-lifetime", type=int, default=3600)
    parser.add_argument("--token-uses", type=int, default=0, help="a token expires after this many requests (0 = no limit)")
    parser.add_argument("--static-token", default="", help="an access token accepted without the OAuth exchange")
    parser.add_argument("--fail-500-once", action="store_true")
    parser.add_argument("--rate-limit-once", action="store_true")
    parser.add_argument("--incomplete-once", action="store_true")
    parser.add_argument("--deny-jobs", action="store_true", help="403: no bigquery.jobs.create permission")
    parser.add_argument("--stats", default="")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    with open(args.public_key, "rb") as f:
        public_key = serialization.load_pem_public_key(f.read())
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    print("PORT %d" % server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
