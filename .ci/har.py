#!/usr/bin/env python3
"""Reads an exchanges.har as third-party tools do: haralyzer (PyPI) parses every entry (its
request, response, timings and start time), and jsonschema holds the document to HAR 1.2's
required members (http://www.softwareishard.com/blog/har-12-spec/). Then checks what the harness
promises of it: requests to the vendor and the receiver's deliveries with their verification.

usage: har.py exchanges.har    exits 0 when it reads, 1 (saying why) when not.
"""
import json
import sys

import jsonschema
from haralyzer import HarEntry, HarParser

NV = {"type": "object", "required": ["name", "value"], "properties": {"name": {"type": "string"}, "value": {"type": "string"}}}
HAR_1_2 = {
    "type": "object",
    "required": ["log"],
    "properties": {"log": {
        "type": "object",
        "required": ["version", "creator", "entries"],
        "properties": {
            "version": {"const": "1.2"},
            "creator": {"type": "object", "required": ["name", "version"]},
            "pages": {"type": "array"},
            "entries": {"type": "array", "items": {
                "type": "object",
                "required": ["startedDateTime", "time", "request", "response", "cache", "timings"],
                "properties": {
                    "startedDateTime": {"type": "string", "pattern": r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$"},
                    "time": {"type": "number", "minimum": 0},
                    "request": {
                        "type": "object",
                        "required": ["method", "url", "httpVersion", "cookies", "headers", "queryString", "headersSize", "bodySize"],
                        "properties": {
                            "headers": {"type": "array", "items": NV},
                            "queryString": {"type": "array", "items": NV},
                            "postData": {"type": "object", "required": ["mimeType"]},
                        },
                    },
                    "response": {
                        "type": "object",
                        "required": ["status", "statusText", "httpVersion", "cookies", "headers", "content", "redirectURL", "headersSize", "bodySize"],
                        "properties": {
                            "status": {"type": "integer"},
                            "headers": {"type": "array", "items": NV},
                            "content": {"type": "object", "required": ["size", "mimeType"]},
                        },
                    },
                    "cache": {"type": "object"},
                    "timings": {
                        "type": "object",
                        "required": ["send", "wait", "receive"],
                        "properties": {k: {"type": "number", "minimum": -1} for k in ["send", "wait", "receive"]},
                    },
                },
            }},
        },
    }},
}


def main(path: str) -> None:
    with open(path) as f:
        doc = json.load(f)
    errors = sorted(jsonschema.Draft202012Validator(HAR_1_2).iter_errors(doc), key=lambda e: list(e.path))
    if errors:
        for e in errors[:10]:
            print(f"{path}: {'/'.join(map(str, e.path))}: {e.message}")
        sys.exit(1)
    parser = HarParser(doc)
    entries = [HarEntry(e) for e in parser.har_data["entries"]]
    methods = {e.request.method for e in entries}
    statuses = [e.response.status for e in entries]
    times = [e.startTime for e in entries]
    assert times == sorted(times), "entries are in order of their start"
    deliveries = [e for e in parser.har_data["entries"] if "_webhook" in e]
    verified = [d for d in deliveries if d["_webhook"]["verification"]["result"] == "verified"]
    assert len(entries) > len(deliveries) > 0, "requests to the vendor and the receiver's deliveries"
    assert verified, "a verified delivery"
    print(
        f"{path}: HAR {parser.har_data.get('version', doc['log']['version'])} by {parser.creator['name']}: "
        f"{len(entries)} entries ({len(entries) - len(deliveries)} requests, {len(deliveries)} deliveries, "
        f"{len(verified)} verified), methods {sorted(methods)}, statuses {sorted(set(statuses))}"
    )


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
