#!/usr/bin/env python3
"""Verifies a harness certificate without the harness: a third party's check, with openssl and
the Python standard library only.

certificate.dsse.json is a DSSE envelope (https://github.com/secure-systems-lab/dsse): the
signature is Ed25519 over DSSE's pre-authentication encoding of the payload, checked here with
`openssl pkeyutl -verify -rawin`. The payload is an in-toto Statement v1 whose subjects are every
other file of the folder with its SHA-256, checked here with hashlib.

usage: certificate.py DIR PUBLIC_KEY.pem    exits 0 when valid, 1 (saying why) when not.
"""
import base64
import hashlib
import json
import os
import stat
import subprocess
import sys
import tempfile

MANIFEST = "certificate.dsse.json"


def pae(payload_type: str, payload: bytes) -> bytes:
    t = payload_type.encode()
    return b"DSSEv1 %d %s %d %s" % (len(t), t, len(payload), payload)


def fail(why: str) -> None:
    print(f"certificate INVALID: {why}")
    sys.exit(1)


def main(folder: str, public_key: str) -> None:
    with open(os.path.join(folder, MANIFEST), "rb") as f:
        envelope = json.load(f)
    if envelope["payloadType"] != "application/vnd.in-toto+json":
        fail(f"payload type {envelope['payloadType']}")
    payload = base64.b64decode(envelope["payload"], validate=True)
    with tempfile.TemporaryDirectory() as tmp:
        message = os.path.join(tmp, "pae")
        with open(message, "wb") as f:
            f.write(pae(envelope["payloadType"], payload))
        verified = False
        for i, signature in enumerate(envelope["signatures"]):
            sig = os.path.join(tmp, f"sig{i}")
            with open(sig, "wb") as f:
                f.write(base64.b64decode(signature["sig"], validate=True))
            run = subprocess.run(
                ["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", public_key, "-rawin", "-in", message, "-sigfile", sig],
                capture_output=True,
            )
            verified = verified or run.returncode == 0
        if not verified:
            fail("no signature verifies with the key (openssl pkeyutl -verify)")
    statement = json.loads(payload)
    if statement["_type"] != "https://in-toto.io/Statement/v1":
        fail(f"not an in-toto statement: {statement['_type']}")
    if statement["predicateType"] != "https://conformance.integrator.example/certificate/v1":
        fail(f"not a conformance certificate: {statement['predicateType']}")
    names = [s["name"] for s in statement["subject"]]
    if len(names) != len(set(names)):
        fail("a subject is listed twice")
    signed = {s["name"]: s["digest"]["sha256"] for s in statement["subject"]}
    present = set()
    problems = []
    for root, dirs, files in os.walk(folder, followlinks=False):
        for name in dirs + files:
            path = os.path.join(root, name)
            rel = os.path.relpath(path, folder).replace(os.sep, "/")
            try:
                rel.encode("utf-8")
            except UnicodeEncodeError:
                problems.append(f"{rel!r}: a name that is not UTF-8")
                continue
            mode = os.lstat(path).st_mode
            if stat.S_ISDIR(mode):
                continue
            if not stat.S_ISREG(mode):
                problems.append(f"{rel}: not a plain file")
            elif rel != MANIFEST:
                present.add(rel)
    for name, digest in sorted(signed.items()):
        if name not in present:
            problems.append(f"{name}: signed, and missing")
            continue
        with open(os.path.join(folder, name), "rb") as f:
            if hashlib.sha256(f.read()).hexdigest() != digest:
                problems.append(f"{name}: changed since it was signed")
    problems += [f"{name}: added after signing" for name in sorted(present - set(signed))]
    if problems:
        fail("; ".join(problems))
    predicate = statement["predicate"]
    print(f"certificate valid: {len(signed)} files; verdict {predicate['verdict']}; vendor {predicate['vendor']['name']}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
