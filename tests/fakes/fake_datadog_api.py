#!/usr/bin/env python3
"""A fake Datadog Usage Metering API v2 for billingfoot's tests, following the documented protocol.

Usage: fake_datadog_api.py PORT --fixtures DIR --api-key KEY --app-key KEY [--log FILE]
                           [--fail-once STATUS:PATH]... [--forbid-cost] [--parent-org ID]

Fixtures are read from DIR on every request, so a test can change them between syncs:
  DIR/historical_cost/<view>/<YYYY-MM>.json   list of cost attributes (org_name, public_id, date,
  DIR/estimated_cost/<view>/<YYYY-MM>.json    total_cost, charges[...]) for that month; view is
  DIR/projected_cost/<view>/<YYYY-MM>.json    summary or sub-org
  DIR/hourly_usage.json                       list of hourly usage attributes (timestamp,
                                              product_family, public_id, measurements[...])

Behaviour (Datadog API docs): DD-API-KEY and DD-APPLICATION-KEY headers are required (403
otherwise); historical_cost needs start_month; estimated_cost takes start_month or start_date (not
both) no more than two months back; hourly_usage needs filter[timestamp][start] and
filter[product_families], returns at most page[limit] (<= 500) records with
meta.pagination.next_record_id while more remain, and across orgs (filter[include_descendants])
at most 24 hours per request. Every response carries X-RateLimit-* headers.
--fail-once 429:/api/v2/usage/hourly_usage answers that path's first request with 429 and
X-RateLimit-Reset: 1; --fail-once 500:PATH with a 500. --forbid-cost answers the cost endpoints
with 403 (a key without billing_read). Each request is appended to --log as a JSON line.
"""
import argparse
import base64
import datetime as dt
import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

args = None
lock = threading.Lock()
failures = {}  # path -> list of statuses still to return


def month_of(text):
    return text[:7]


def parse_month(text, name):
    try:
        return dt.datetime.strptime(text, "%Y-%m").date()
    except (TypeError, ValueError):
        raise BadRequest(f"{name} must be YYYY-MM, not {text!r}")


def parse_hour(text, name):
    try:
        return dt.datetime.strptime(text, "%Y-%m-%dT%H").replace(tzinfo=dt.timezone.utc)
    except (TypeError, ValueError):
        raise BadRequest(f"{name} must be YYYY-MM-DDThh, not {text!r}")


def months_between(first, last):
    out, m = [], first
    while m <= last:
        out.append(m.strftime("%Y-%m"))
        m = (m.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return out


class BadRequest(Exception):
    pass


def load_json(path, default):
    if not os.path.exists(path):
        return default
    with open(path) as f:
        return json.load(f)


def cost_items(kind, view, months):
    data = []
    for m in months:
        for i, attrs in enumerate(load_json(os.path.join(args.fixtures, kind, view, m + ".json"), [])):
            data.append({"type": "cost_by_org", "id": f"{kind}-{m}-{i}", "attributes": attrs})
    return {"data": data}


def current_month():
    return dt.datetime.now(dt.timezone.utc).date().replace(day=1)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *a):
        pass

    def reply(self, status, body, extra=None):
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        headers = {"X-RateLimit-Limit": "60", "X-RateLimit-Period": "3600",
                   "X-RateLimit-Remaining": "59", "X-RateLimit-Reset": "1800",
                   "X-RateLimit-Name": "usage_metering"}
        headers.update(extra or {})
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)
        if args.log:
            with lock, open(args.log, "a") as f:
                f.write(json.dumps({"time": time.time(), "path": self.url.path, "query": self.query,
                                    "status": status}) + "\n")

    def do_GET(self):
        self.url = urlparse(self.path)
        self.query = {k: v[0] for k, v in parse_qs(self.url.query).items()}
        path = self.url.path
        if (self.headers.get("DD-API-KEY") != args.api_key or
                self.headers.get("DD-APPLICATION-KEY") != args.app_key):
            return self.reply(403, {"errors": ["Forbidden"]})
        with lock:
            pending = failures.get(path, [])
            status = pending.pop(0) if pending else None
        if status == 429:
            return self.reply(429, {"errors": ["Rate limit of 60 requests in 3600 seconds reached."]},
                              {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1"})
        if status:
            return self.reply(status, {"errors": ["Internal Server Error"]})
        try:
            if path in ("/api/v2/usage/historical_cost", "/api/v2/usage/estimated_cost",
                        "/api/v2/usage/projected_cost"):
                if args.forbid_cost:
                    return self.reply(403, {"errors": ["Forbidden"]})
                return self.reply(200, self.cost(path.rsplit("/", 1)[1]))
            if path == "/api/v2/usage/hourly_usage":
                return self.reply(200, self.hourly())
            return self.reply(404, {"errors": ["Not found"]})
        except BadRequest as e:
            return self.reply(400, {"errors": [str(e)]})

    def cost(self, kind):
        q = self.query
        view = q.get("view", "summary")
        if view not in ("summary", "sub-org"):
            raise BadRequest("view must be summary or sub-org")
        now = current_month()
        if kind == "projected_cost":
            return cost_items(kind, view, [now.strftime("%Y-%m")])
        if kind == "estimated_cost" and "start_month" in q and "start_date" in q:
            raise BadRequest("Either start_month or start_date should be specified, but not both")
        if "start_month" not in q:
            raise BadRequest("start_month is required")
        first = parse_month(q["start_month"], "start_month")
        last = parse_month(q["end_month"], "end_month") if "end_month" in q else now
        if kind == "estimated_cost":
            previous = (now - dt.timedelta(days=1)).replace(day=1)
            two_back = (previous - dt.timedelta(days=1)).replace(day=1)
            if first < two_back:
                raise BadRequest("start_month cannot go beyond two months in the past")
        return cost_items(kind, view, months_between(first, last))

    def hourly(self):
        q = self.query
        if "filter[timestamp][start]" not in q:
            raise BadRequest("filter[timestamp][start] is required")
        if "filter[product_families]" not in q:
            raise BadRequest("filter[product_families] is required")
        start = parse_hour(q["filter[timestamp][start]"], "filter[timestamp][start]")
        end = (parse_hour(q["filter[timestamp][end]"], "filter[timestamp][end]")
               if "filter[timestamp][end]" in q else start + dt.timedelta(hours=24))
        descendants = q.get("filter[include_descendants]", "false") == "true"
        if descendants and end - start > dt.timedelta(hours=24):
            raise BadRequest("the query window cannot exceed 24 hours across multiple orgs")
        if end - start > dt.timedelta(days=62):
            raise BadRequest("the query window cannot exceed two months")
        limit = int(q.get("page[limit]", "500"))
        if not 1 <= limit <= 500:
            raise BadRequest("page[limit] must be between 1 and 500")
        families = q["filter[product_families]"].split(",")
        records = []
        for attrs in load_json(os.path.join(args.fixtures, "hourly_usage.json"), []):
            ts = dt.datetime.fromisoformat(attrs["timestamp"])
            if not (start <= ts < end):
                continue
            if "all" not in families and attrs["product_family"] not in families:
                continue
            if not descendants and attrs.get("public_id") != args.parent_org:
                continue
            records.append(attrs)
        offset = 0
        if "page[next_record_id]" in q:
            try:
                offset = int(base64.urlsafe_b64decode(q["page[next_record_id]"].encode()).decode().split(":")[1])
            except Exception:
                raise BadRequest("invalid page[next_record_id]")
        page = records[offset:offset + limit]
        body = {"data": [{"type": "usage_timeseries", "id": f"h{offset + i}", "attributes": a}
                         for i, a in enumerate(page)],
                "meta": {"pagination": {"next_record_id": None}}}
        if offset + limit < len(records):
            token = base64.urlsafe_b64encode(f"offset:{offset + limit}".encode()).decode()
            body["meta"]["pagination"]["next_record_id"] = token
        return body


def main():
    global args
    parser = argparse.ArgumentParser()
    parser.add_argument("port", type=int)
    parser.add_argument("--fixtures", required=True)
    parser.add_argument("--api-key", required=True)
    parser.add_argument("--app-key", required=True)
    parser.add_argument("--parent-org", default="")
    parser.add_argument("--log")
    parser.add_argument("--fail-once", action="append", default=[])
    parser.add_argument("--forbid-cost", action="store_true")
    args = parser.parse_args()
    for spec in args.fail_once:
        status, path = spec.split(":", 1)
        failures.setdefault(path, []).append(int(status))
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    print(f"fake Datadog API on port {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
