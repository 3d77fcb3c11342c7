#!/usr/bin/env python3
"""Checks report.html as a browser rendered it (`chromium --headless --dump-dom`).

Usage: report_dom.py DOM_FILE CHECKS_JSON [--faulty]

DOM_FILE is the dumped DOM, CHECKS_JSON the output of `harness list --format json`. Asserts that
the verdict (`id="verdict"`) is shown, that every catalogue check has a row (`data-check-id`),
that the failures block (`id="failures"`) and the requirement coverage matrix (`id="coverage"`,
rows `data-requirement`) are there, and that every in-page link names an anchor that exists.
With --faulty (a demo run with a fault injected), also that the failures block lists at least
one check (`data-failure-id`) and comes before the first PASS row, so a reader sees what broke
without scrolling past what passed.
"""

import html.parser
import json
import sys


class Find(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids = set()  # data-check-id of the rows
        self.anchors = set()  # every id= in the page
        self.links = []  # every href
        self.failure_ids = []  # data-failure-id, in page order
        self.requirements = set()  # data-requirement of the coverage rows
        self.verdict = None
        self.stack = []
        self.position = 0  # start tags seen so far: the page order
        self.failures_at = None
        self.coverage_at = None
        self.first_pass_at = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.position += 1
        if "data-check-id" in a:
            self.ids.add(a["data-check-id"])
            if a.get("data-status") == "PASS" and self.first_pass_at is None:
                self.first_pass_at = self.position
        if "data-failure-id" in a:
            self.failure_ids.append(a["data-failure-id"])
        if "data-requirement" in a:
            self.requirements.add(a["data-requirement"])
        if a.get("id"):
            self.anchors.add(a["id"])
        if a.get("id") == "failures":
            self.failures_at = self.position
        if a.get("id") == "coverage":
            self.coverage_at = self.position
        if a.get("href"):
            self.links.append(a["href"])
        if tag not in ("meta", "br", "link", "img", "input", "hr", "wbr"):
            self.stack.append(a.get("id") == "verdict")

    def handle_endtag(self, tag):
        if tag not in ("meta", "br", "link", "img", "input", "hr", "wbr") and self.stack:
            self.stack.pop()

    def handle_data(self, data):
        if any(self.stack) and data.strip():
            self.verdict = (self.verdict or "") + data.strip() + " "


def main(argv):
    args = [a for a in argv[1:] if a != "--faulty"]
    faulty = "--faulty" in argv[1:]
    if len(args) != 2:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    dom, checks = open(args[0], encoding="utf-8").read(), json.load(open(args[1], encoding="utf-8"))
    f = Find()
    f.feed(dom)
    want = {c["id"] for c in checks}
    missing = sorted(want - f.ids)
    assert f.verdict and "CONFORMANT" in f.verdict, f"no verdict in the rendered report: {f.verdict!r}"
    assert not missing, f"check ids missing from the rendered report: {missing}"
    assert f.failures_at is not None, 'no failures block (id="failures") in the rendered report'
    assert f.coverage_at is not None and f.requirements, 'no requirement coverage (id="coverage") in the rendered report'
    broken = sorted({h for h in f.links if not h.startswith("#") or h[1:] not in f.anchors})
    assert not broken, f"links to nothing in the page: {broken[:10]}"
    line = f"rendered report shows verdict {f.verdict.strip()!r}, all {len(want)} check ids and {len(f.requirements)} requirements"
    if faulty:
        assert f.failure_ids, "a faulty run lists nothing in its failures block"
        assert f.first_pass_at is not None, "a faulty run shows no PASS row"
        assert f.failures_at < f.first_pass_at, "the failures block comes after a PASS row"
        line += f"; failures block ({', '.join(f.failure_ids)}) before the first PASS row"
    print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
