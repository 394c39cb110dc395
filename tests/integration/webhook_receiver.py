#!/usr/bin/env python3
"""A department system's webhook receiver for webhook_test.py: checks each delivery's
X-Casesync-Signature and appends what it accepted to a JSON-lines log (which survives its
restart). On /flaky it fails --fail of the requests at random: half of those answer 500, a third
take the event and then hang up without answering (the sender must send it again: a duplicate),
the rest hang up without taking it. On /strict it answers 422 to events of cases whose applicant
contains REJECT, until the file LOG.fixed exists."""

import argparse
import hashlib
import hmac
import http.server
import json
import os
import random


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--secret", required=True)
    p.add_argument("--log", required=True, help="accepted deliveries, one JSON object a line")
    p.add_argument("--fail", type=float, default=0.3)
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args()
    rng = random.Random(args.seed)
    log = open(args.log, "a", buffering=1)

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as the sender uses it

        def log_message(self, *a):
            pass

        def answer(self, status):
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def hang_up(self):
            self.close_connection = True
            self.wfile.flush()

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            want = "sha256=" + hmac.new(args.secret.encode(), body, hashlib.sha256).hexdigest()
            if not hmac.compare_digest(self.headers.get("X-Casesync-Signature", ""), want):
                log.write(json.dumps({"path": self.path, "bad_signature": True}) + "\n")
                return self.answer(401)
            event = json.loads(body)["event"]
            record = {"path": self.path, "hash": event["hash"], "case": event["case_id"],
                      "local_seq": event["local_seq"], "kind": event["kind"],
                      "header_hash": self.headers.get("X-Casesync-Event"),
                      "id_number": event["body"].get("id_number"), "actor": event.get("actor")}
            if self.path == "/strict":
                rejected = "REJECT" in json.dumps(event["body"], ensure_ascii=False)
                if rejected and not os.path.exists(args.log + ".fixed"):
                    return self.answer(422)
                log.write(json.dumps(record) + "\n")
                return self.answer(200)
            draw = rng.random()
            if draw < args.fail / 2:
                return self.answer(500)
            if draw < args.fail * 5 / 6:
                log.write(json.dumps(record) + "\n")  # taken, but the answer is lost
                return self.hang_up()
            if draw < args.fail:
                return self.hang_up()
            log.write(json.dumps(record) + "\n")
            self.answer(200)

    # One thread per connection: each webhook keeps its connection alive.
    http.server.ThreadingHTTPServer(("127.0.0.1", args.port), Handler).serve_forever()


if __name__ == "__main__":
    main()
