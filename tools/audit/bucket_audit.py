#!/usr/bin/env python3
"""Audit a camdock station from its replica bucket alone, without camdock.

The bucket holds, under Object Lock, the station's ledger (segments of events as JSON lines, signed
checkpoints) and every clip under its content address. This script:

  1. recomputes the hash chain over every segment (docs/LEDGER.md) and checks it is unbroken from
     event 1;
  2. checks each signed checkpoint: its ed25519 signature, one key for all, and its head hash
     against the chain at its sequence number;
  3. checks every replicated clip: the object version the ledger names is there with the checksum
     the ledger recorded, and that checksum is the clip's SHA-256 (single-part objects; with
     --download, every object is read back and hashed);
  4. with --ledger, compares the station's ledger file event by event with the bucket's copy: an
     event cut off or rewritten on the station shows, whatever was re-chained there.

Prints one line per problem and exits 1 if there is any, 0 otherwise.
Needs boto3 (and cryptography, to check the signatures): pip install boto3 cryptography
Credentials come from the usual AWS variables (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY).

  bucket_audit.py --endpoint http://s3.example:9000 --bucket evidence --station station-01 \\
                  [--ledger /var/lib/camdock/ledger.sqlite3] [--download]
"""
import argparse
import base64
import hashlib
import json
import sqlite3
import sys

import boto3

GENESIS = "0" * 64
COLUMNS = ("seq", "at", "kind", "camera", "clip_sha256", "actor", "detail_json")


def event_hash(event, prev):
    canonical = json.dumps([event[c] for c in COLUMNS], separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256((canonical + prev).encode()).hexdigest()


def keys(s3, bucket, prefix):
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for obj in page.get("Contents", []):
            yield obj["Key"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--endpoint", help="S3 endpoint URL (omit for AWS)")
    ap.add_argument("--bucket", required=True)
    ap.add_argument("--station", required=True, help="the station id (station.id)")
    ap.add_argument("--ledger", help="the station's ledger.sqlite3, to compare with the bucket")
    ap.add_argument("--download", action="store_true", help="read back and hash every clip object")
    args = ap.parse_args()
    s3 = boto3.client("s3", endpoint_url=args.endpoint)
    problems = []
    problem = problems.append

    # 1. The chain, from the segments in order.
    events, prev = [], GENESIS
    for key in sorted(keys(s3, args.bucket, f"ledger/{args.station}/segments/")):
        body = s3.get_object(Bucket=args.bucket, Key=key)["Body"].read().decode()
        for line in body.splitlines():
            event = json.loads(line)
            expected_seq = len(events) + 1
            if event["seq"] != expected_seq:
                problem(f"bucket: event {expected_seq} missing before event {event['seq']} ({key})")
                expected_seq = event["seq"]
            if event["prev_hash"] != prev or event_hash(event, prev) != event["hash"]:
                problem(f"bucket: the chain breaks at event {event['seq']} ({event['kind']})")
            prev = event["hash"]
            events.append(event)
    if not events:
        problem(f"bucket: no ledger segments under ledger/{args.station}/segments/")
    by_seq = {e["seq"]: e for e in events}

    # 2. The signed checkpoints.
    signers = set()
    checkpoints = 0
    for key in sorted(keys(s3, args.bucket, f"ledger/{args.station}/checkpoints/")):
        cp = json.loads(s3.get_object(Bucket=args.bucket, Key=key)["Body"].read())
        checkpoints += 1
        signed = f"camdock-checkpoint\n{cp['station']}\n{cp['seq']}\n{cp['head_hash']}\n{cp['at']}\n"
        try:
            from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
            Ed25519PublicKey.from_public_bytes(bytes.fromhex(cp["public_key"])).verify(
                bytes.fromhex(cp["signature"]), signed.encode())
            signers.add(cp["public_key"])
        except ImportError:
            print("note: signatures not checked (pip install cryptography)")
        except Exception:
            problem(f"bucket: checkpoint {key} has a signature that does not hold")
        at = by_seq.get(cp["seq"])
        if at is None:
            problem(f"bucket: checkpoint {key} vouches for event {cp['seq']}, which no segment holds")
        elif at["hash"] != cp["head_hash"]:
            problem(f"bucket: checkpoint {key} says event {cp['seq']} is {cp['head_hash'][:16]}…, the chain says {at['hash'][:16]}…")
    if len(signers) > 1:
        problem(f"bucket: checkpoints are signed by {len(signers)} different keys")

    # 3. Every replicated clip, as the ledger recorded its copy.
    clips = 0
    for e in events:
        if e["kind"] != "clip-replicated":
            continue
        clips += 1
        d, sha = json.loads(e["detail_json"]), e["clip_sha256"]
        where = {"Bucket": args.bucket, "Key": d["key"]}
        if d.get("version_id"):
            where["VersionId"] = d["version_id"]
        try:
            head = s3.head_object(ChecksumMode="ENABLED", **where)
        except Exception as err:
            problem(f"clip {sha}: its object {d['key']} is missing from the bucket ({err})")
            continue
        checksum = head.get("ChecksumSHA256", "")
        if checksum != d.get("checksum_sha256"):
            problem(f"clip {sha}: the object's checksum {checksum} is not the one recorded")
        single = base64.b64encode(bytes.fromhex(sha)).decode()
        if "-" not in checksum and checksum != single:
            problem(f"clip {sha}: the object's SHA-256 is not the clip's")
        if args.download:
            h = hashlib.sha256()
            for chunk in s3.get_object(**where)["Body"].iter_chunks(1 << 20):
                h.update(chunk)
            if h.hexdigest() != sha:
                problem(f"clip {sha}: the object's bytes hash to {h.hexdigest()}")

    # 4. The station's ledger against the bucket's copy.
    if args.ledger:
        db = sqlite3.connect(f"file:{args.ledger}?mode=ro", uri=True)
        db.row_factory = sqlite3.Row
        local = {r["seq"]: dict(r) for r in db.execute(
            "SELECT seq, at, kind, camera, clip_sha256, actor, detail_json, prev_hash, hash FROM events")}
        cut = [e["seq"] for e in events if e["seq"] not in local]
        if cut:
            problem(f"station: events {cut[0]}..{cut[-1]} of the bucket's copy were cut off the station's ledger")
        for e in events:
            mine = local.get(e["seq"])
            if mine is not None and any(mine[c] != e[c] for c in COLUMNS + ("prev_hash", "hash")):
                problem(f"station: event {e['seq']} ({e['kind']}) in the station's ledger differs from its witnessed copy")

    for p in problems:
        print(p)
    verdict = "PROBLEMS" if problems else "ok"
    print(f"{verdict}: {len(events)} events, {checkpoints} checkpoints, {clips} replicated clips checked")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
