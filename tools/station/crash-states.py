#!/usr/bin/env python3
"""Every crash state of a logged ingest, replayed and given to camdock (the station bed's `crash`
scenario; run on the host, as root: it loop-mounts each state).

The guest ran one dock's ingest with its store and ledger disk under dm-log-writes (kernel
drivers/md/dm-log-writes.c). The log: sector 0 holds {magic, version, nr_entries, sectorsize};
then each entry is one sector {sector, nr_sectors, flags, data_len} followed by its nr_sectors of
data (none for a discard; a mark's name sits in its own sector). Writes are logged as they
complete and a FLUSH entry follows every write it made durable, so the disk a power cut can leave
is: every entry up to a FLUSH or FUA entry (a crash point), plus any subset of the writes logged
after it and before the next one (a disk's volatile cache keeps, loses or reorders those).

For each chosen state, on a fresh copy of the disk the guest started from:
  - it mounts (the kernel replays ext4's journal);
  - `camdock run` starts on it and recovers (sessions left open closed, staging cleaned), then is
    stopped, and `camdock verify` passes, but for a clip placed in the store whose clip-stored had
    not committed (`unexpected` until the next dock adopts it): whole, and one of the card's;
  - every clip whose clip-stored event is in the recovered ledger is in the store and whole
    (sha256sum), is one of the card's, and is stored once;
  - what was stored at a crash point is still stored at every later one (a commit, once durable,
    is never lost), and the log's last state has every clip of the card;
  - the camera docked again (`camdock ingest` of the card's files): every clip of the card stored
    exactly once, and `verify` passes with nothing to explain.

  crash-states.py --log LOG --base IMG --sums SUMS --card DIR --camdock BIN --station-toml TOML
                  [--from-mark NAME] [--points all|N] [--between N] [--seed S] [--verbose]

--points: every crash point, or N of them spread evenly (the first and last always);
--between: N states between crash points (a random subset of the writes in between, seeded).
Prints one line per failing state and a summary; exit status 1 if any state failed.
"""
import argparse
import json
import os
import random
import shutil
import signal
import sqlite3
import struct
import subprocess
import sys
import tempfile
import time
import tomllib

MAGIC, VERSION = 0x6A736677736872, 1
FLUSH, FUA, DISCARD, MARK = 1, 2, 4, 8


class Entry:
    __slots__ = ("index", "sector", "nr_sectors", "flags", "data_at", "mark")

    def __init__(self, index, sector, nr_sectors, flags, data_at, mark):
        self.index, self.sector, self.nr_sectors = index, sector, nr_sectors
        self.flags, self.data_at, self.mark = flags, data_at, mark

    @property
    def writes(self):
        return self.nr_sectors > 0 and not self.flags & MARK


def read_log(path):
    """The log's entries, in order, and its sector size."""
    with open(path, "rb") as f:
        magic, version, nr_entries, sectorsize = struct.unpack("<QQQI", f.read(28))
        if magic != MAGIC or version != VERSION:
            sys.exit(f"crash-states: {path} is not a dm-log-writes log (magic {magic:#x}, version {version})")
        entries, at = [], sectorsize
        for i in range(nr_entries):
            f.seek(at)
            head = f.read(sectorsize)
            sector, nr_sectors, flags, data_len = struct.unpack_from("<QQQQ", head)
            mark = head[32:32 + data_len].decode(errors="replace") if flags & MARK else None
            at += sectorsize
            entries.append(Entry(i, sector, nr_sectors, flags, at, mark))
            if not flags & DISCARD:
                at += nr_sectors * sectorsize
    return entries, sectorsize


class Disk:
    """A disk image that entries are applied to."""

    def __init__(self, path, log, sectorsize):
        self.path, self.log, self.sectorsize = path, log, sectorsize

    def apply(self, entries):
        with open(self.path, "r+b") as disk:
            for e in entries:
                if e.flags & MARK or not e.nr_sectors:
                    continue
                size = e.nr_sectors * self.sectorsize
                if e.flags & DISCARD:
                    data = bytes(size)
                else:
                    self.log.seek(e.data_at)
                    data = self.log.read(size)
                disk.seek(e.sector * self.sectorsize)
                disk.write(data)


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


class Checker:
    def __init__(self, args, card_shas, work):
        self.args, self.card_shas, self.work = args, card_shas, work
        self.mnt = os.path.join(work, "mnt")
        self.media = os.path.join(work, "media")
        os.makedirs(self.mnt)
        os.makedirs(self.media)
        station = tomllib.load(open(args.station_toml, "rb"))["station"]
        # The guest's station (its id and zone) on this disk; no USB, no web, no docks.
        self.config = os.path.join(work, "camdock.toml")
        with open(self.config, "w") as c:
            c.write(f'[station]\nid = {json.dumps(station["id"])}\ntimezone = {json.dumps(station["timezone"])}\n'
                    f'data_dir = {json.dumps(os.path.join(self.mnt, "camdock"))}\n'
                    f'[dock]\nmedia_root = {json.dumps(self.media)}\nusb = false\nsource = "mounts"\n'
                    f'clock_spool = {json.dumps(os.path.join(work, "clock"))}\n[web]\nlisten = ""\n')

    def camdock(self, *argv, **kw):
        return run([self.args.camdock, "--config", self.config, *argv], **kw)

    def check(self, image):
        """Mounts IMAGE, starts camdock on it, verifies; returns (problems, stored shas)."""
        mounted = run(["mount", "-o", "loop", image, self.mnt])
        if mounted.returncode:
            return [f"does not mount: {mounted.stderr.strip()}"], set(), 0
        try:
            return self.check_mounted()
        finally:
            run(["umount", self.mnt])

    def check_mounted(self):
        data = os.path.join(self.mnt, "camdock")
        # No ledger yet: the station's first start on this disk was cut short; it starts afresh.
        problems = []
        log_path = os.path.join(self.work, "daemon.log")
        with open(log_path, "w") as log:
            daemon = subprocess.Popen([self.args.camdock, "--config", self.config, "run"],
                                      stdout=log, stderr=subprocess.STDOUT)
        deadline, up = time.monotonic() + 60, False
        while time.monotonic() < deadline and daemon.poll() is None:
            if "dock daemon running" in open(log_path).read():
                up = True
                break
            time.sleep(0.05)
        if daemon.poll() is None:
            daemon.send_signal(signal.SIGTERM)
        try:
            code = daemon.wait(30)
        except subprocess.TimeoutExpired:
            daemon.kill()
            code = "killed after 30 s"
        if not up or code != 0:
            tail = " | ".join(open(log_path).read().strip().splitlines()[-3:])
            problems.append(f"camdock run did not start and stop cleanly (exit {code}): {tail}")
        # The one thing verify may find after a crash: a clip placed in the store whose
        # clip-stored had not committed (docs/RELIABILITY.md: `unexpected` until the next dock
        # adopts it). It must be whole and one of the card's; anything else is a failure.
        placed = set()
        for kind, problem in self.verify():
            sha = problem.get("sha256") or ""
            if kind == "unexpected" and sha in self.card_shas and self.whole(problem.get("path"), sha):
                placed.add(sha)
            else:
                problems.append(f"verify: {kind} {problem.get('detail')}")
        stored, twice = self.stored(data)
        problems += twice + self.in_store(data, stored)
        problems += [f"clip {sha[:12]} placed and on record, yet verify calls it unexpected" for sha in placed & set(stored)]
        # The camera docked again (its card's files, one-shot): every clip stored exactly once,
        # the placed ones adopted, and verify passes with nothing left to explain.
        ingest = self.camdock("ingest", "--json", self.args.card)
        if ingest.returncode:
            problems.append(f"the re-dock failed: {(ingest.stderr or ingest.stdout).strip()[-300:]}")
        problems += [f"after the re-dock, verify: {kind} {p.get('detail')}" for kind, p in self.verify()]
        after, twice = self.stored(data)
        problems += twice + self.in_store(data, after)
        if set(after) != self.card_shas:
            problems.append(f"after the re-dock {len(after)} of the card's {len(self.card_shas)} clips stored")
        return problems, set(stored), len(placed)

    def verify(self):
        """verify's problems, as (kind, problem) pairs; one pair if it gave no report."""
        out = self.camdock("verify", "--json")
        try:
            report = json.loads(out.stdout)
        except ValueError:
            return [("no report", {"detail": (out.stdout or out.stderr).strip()[:300]})]
        return [(p.get("kind"), p) for p in report.get("problems", [])] + (
            [("not ok", {"detail": "verify says not ok, naming no problem"})]
            if report.get("ok") is not True and not report.get("problems") else [])

    def stored(self, data):
        """The clips on record (clip-stored), sha -> store path, and any stored twice."""
        db = sqlite3.connect(f"file:{os.path.join(data, 'ledger.sqlite3')}?mode=ro", uri=True)
        rows = db.execute("SELECT camera, clip_sha256, detail_json FROM events WHERE kind = 'clip-stored'").fetchall()
        db.close()
        stored, twice = {}, []
        for camera, sha, detail in rows:
            if sha in stored:
                twice.append(f"clip {sha[:12]} stored twice (camera {camera})")
            stored[sha] = os.path.join(data, json.loads(detail)["store_path"])
        return stored, twice

    def in_store(self, data, stored):
        """Each clip on record is one of the card's and whole in the store (sha256sum)."""
        problems = []
        for sha, path in stored.items():
            if sha not in self.card_shas:
                problems.append(f"clip {sha[:12]} on record is not one of the card's")
            if not os.path.isfile(path):
                problems.append(f"clip {sha[:12]} on record (clip-stored) is not in the store: {path}")
            elif not self.whole(path, sha):
                problems.append(f"clip {sha[:12]} on record is not whole in the store")
        return problems

    @staticmethod
    def whole(path, sha):
        return bool(path) and os.path.isfile(path) and run(["sha256sum", path]).stdout.split()[:1] == [sha]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--log", required=True)
    p.add_argument("--base", required=True)
    p.add_argument("--sums", required=True)
    p.add_argument("--card", required=True, help="the card's files, for the re-dock")
    p.add_argument("--camdock", required=True)
    p.add_argument("--station-toml", required=True)
    p.add_argument("--from-mark", default=None)
    p.add_argument("--points", default="all")
    p.add_argument("--between", type=int, default=0)
    p.add_argument("--seed", type=int, default=int(time.time()))
    p.add_argument("--verbose", action="store_true")
    args = p.parse_args()

    entries, sectorsize = read_log(args.log)
    card_shas = {line.split()[0] for line in open(args.sums) if line.strip()}
    start = 0
    if args.from_mark:
        marks = [e.index for e in entries if e.mark == args.from_mark]
        if not marks:
            sys.exit(f"crash-states: no mark '{args.from_mark}' in the log")
        start = marks[0]
    # Crash points: each FLUSH or FUA entry after the start that follows a write since the last one.
    points, wrote = [], False
    for e in entries[start:]:
        wrote = wrote or e.writes
        if e.flags & (FLUSH | FUA) and wrote:
            points.append(e.index)
            wrote = False
    points.append(len(entries) - 1)  # the log's end: everything written
    points = sorted(set(points))
    all_points = len(points)
    if args.points != "all":
        n = max(2, int(args.points))
        if n < len(points):
            step = (len(points) - 1) / (n - 1)
            points = sorted({points[round(i * step)] for i in range(n)})
    rng = random.Random(args.seed)
    # Between two consecutive crash points (of all of them): a random subset of the writes between.
    gaps = []
    everything = sorted(set(e.index for e in entries[start:] if e.flags & (FLUSH | FUA)) | {len(entries) - 1})
    for a, b in zip(everything, everything[1:]):
        between = [e for e in entries[a + 1:b] if e.writes]
        if len(between) >= 2:
            gaps.append((a, between))
    samples = {}
    for a, between in rng.sample(gaps, min(args.between, len(gaps))):
        subset = [e for e in between if rng.random() < 0.5] or [between[-1]]
        samples.setdefault(a, []).append(subset)

    work = tempfile.mkdtemp(prefix="crash-states.")
    failures, checked, last_stored, at_points, with_placed = [], 0, set(), [], 0
    checker = Checker(args, card_shas, work)
    try:
        disk = Disk(os.path.join(work, "disk.img"), open(args.log, "rb"), sectorsize)
        shutil.copyfile(args.base, disk.path)
        state = os.path.join(work, "state.img")
        applied = -1
        for k in sorted(set(points) | set(samples)):
            disk.apply(entries[applied + 1:k + 1])
            applied = k
            kinds = [("point", None)] if k in points else []
            kinds += [("between", subset) for subset in samples.get(k, [])]
            for kind, subset in kinds:
                shutil.copyfile(disk.path, state)
                if subset:
                    Disk(state, disk.log, sectorsize).apply(subset)
                problems, stored, placed = checker.check(state)
                checked += 1
                with_placed += bool(placed)
                name = f"entry {k}" + (f" + {len(subset)} of the writes after it" if subset else "")
                if kind == "point":
                    lost = last_stored - stored
                    if lost:
                        problems.append(f"{len(lost)} clip(s) stored at an earlier crash point are gone")
                    last_stored = stored
                    at_points.append(len(stored))
                if k == len(entries) - 1 and kind == "point" and stored != card_shas:
                    problems.append(f"the log's end has {len(stored)} of the card's {len(card_shas)} clips")
                if args.verbose:
                    print(f"  {name}: {len(stored)} stored{': ' + '; '.join(problems) if problems else ''}", flush=True)
                failures += [f"{name}: {p}" for p in problems]
    finally:
        shutil.rmtree(work, ignore_errors=True)  # each check unmounts its state itself
    for f in failures:
        print(f"FAIL {f}")
    between = checked - len(points)
    print(f"{checked} crash states checked ({len(points)} of {all_points} crash points, {between} between them, "
          f"seed {args.seed}) from {len(entries) - start} logged entries; clips stored along the way: "
          f"{' '.join(map(str, at_points))}; {with_placed} with a clip placed but not yet on record (adopted by the re-dock); "
          f"{'all consistent' if not failures else f'{len(failures)} problem(s)'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
