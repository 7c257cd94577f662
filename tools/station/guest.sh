#!/usr/bin/env bash
# The scenarios' hands and eyes INSIDE the station guest (installed as /usr/local/sbin/station):
# cameras docked and pulled as USB gadgets (gadget.sh), the ledger read with sqlite3, times in
# milliseconds of the guest's clock (the same clock the daemon stamps its events with).
#
#   station dock NAME IMAGE FS_OFFSET SERIAL PORT [CLOCK_OFFSET_S]
#                                                  the camera powers on (firmware: applies a
#                                                  TIMESET.TXT, writes DEVICE.TXT's clock) and
#                                                  docks on PORT (VIDPID="0525 a4a5"); prints the
#                                                  time. FS_OFFSET: 1048576 partitioned, 0 superfloppy
#   station prepare NAME IMAGE FS_OFFSET SERIAL [CLOCK_OFFSET_S]
#                                                  dock's first half: the firmware step and the
#                                                  gadget, not bound (then: bind it to dummy_udc.PORT)
#   station pull NAME                              pull it; prints the time
#   station count KIND [CAMERA]                    events of KIND (for CAMERA)
#   station wait KIND N [CAMERA] [SECONDS]         until there are N such events; fails on timeout
#   station at KIND CAMERA [NTH]                   the NTH (default last) such event's time, in ms
#   station detail KIND CAMERA [NTH]               its detail JSON
#   station first-byte CAMERA SINCE_MS             when the daemon began reading CAMERA's card
#   station q SQL                                  any query, read-only
#   station card-files IMAGE OFFSET                sha256 of every recording on a card image
#                                                  (its filesystem at byte OFFSET, mounted
#                                                  read-only on a loop device for a moment)
#   station timeset IMAGE OFFSET                   TIMESET.TXT on the card, if any
#   station pull-at NAME MB [SERIAL]               pull NAME once MB MiB were read (of camera
#                                                  SERIAL's card, else of all docked), in one
#                                                  guest command (under TCG an ssh trip takes seconds)
#   station wait-bytes MB                          until the daemon has read MB MiB of the docked cards
#   station healthy                                the service is active and never restarted
#   station unflushed FILE MB                      writes FILE (MB MiB of zeros, no fsync) and
#                                                  prints its extents and how many are on the disk
#                                                  (FIEMAP: delayed allocation = only in memory)
#   station store-on DIR                           the station's data moved to DIR (on a disk
#                                                  mounted at its parent), service restarted
#   station store-back                             the station's data back where it was
set -euo pipefail
DB=$(sed -n 's/^data_dir *= *"\(.*\)".*/\1/p' /etc/camdock/camdock.toml)/ledger.sqlite3
STATION_TZ=$(sed -n 's/^timezone *= *"\(.*\)".*/\1/p' /etc/camdock/camdock.toml)

now_ms() { date +%s%3N; }
q() { sqlite3 -readonly -cmd '.timeout 5000' "$DB" "$1"; }
where() { echo "kind = '$1'${2:+ AND camera = '$2'}"; }
count() { [[ -f $DB ]] || { echo 0; return; }; q "SELECT count(*) FROM events WHERE $(where "$@")"; }
nth() { # KIND CAMERA NTH COLUMN
  local order=DESC offset=0
  [[ -n ${3:-} ]] && order=ASC offset=$(($3 - 1))
  q "SELECT $4 FROM events WHERE $(where "$1" "$2") ORDER BY seq $order LIMIT 1 OFFSET $offset"
}
to_ms() { echo $(($(date -d "$1" +%s%N) / 1000000)); }

wait_for() { # KIND N [CAMERA] [SECONDS]
  local deadline=$((SECONDS + ${4:-120})) n
  until n=$(count "$1" "${3:-}") && ((n >= $2)); do
    ((SECONDS < deadline)) || { echo "station: $n of $2 '$1' events${3:+ for $3} after ${4:-120} s" >&2; exit 1; }
    sleep 0.1
  done
}

# Docks a camera. First its firmware runs, as at power-on: a TIMESET.TXT left by the station is
# applied (the camera's clock becomes the station's) and DEVICE.TXT gets the camera's clock, which
# runs CLOCK_OFFSET_S seconds fast (0 once a correction was applied).
dock() { # NAME IMAGE FS_OFFSET SERIAL PORT [CLOCK_OFFSET_S]
  prepare "$1" "$2" "$3" "$4" "${6:-0}"
  now_ms
  gadget.sh dock "$1" "$5"
}
# The camera powered on and its gadget made, not yet docked (`station plug NAME PORT` docks it).
prepare() { # NAME IMAGE FS_OFFSET SERIAL [CLOCK_OFFSET_S]
  firmware "$2" "$3" "${5:-0}" >/dev/null
  [[ -d /sys/kernel/config/usb_gadget/$1 ]] || gadget.sh make "$1" "$2" "$4" ${VIDPID:-0525 a4a5}
}

# The pull: the gadget unbound from its port, timed just before the write in this shell (bash's
# own clock, no process started): starting a helper first (gadget.sh, a fresh bash) takes about a
# second under TCG before the unbind, which is the test bed's delay, not the station's.
pull() {
  local udc=/sys/kernel/config/usb_gadget/$1/UDC
  [[ -n $(<"$udc") ]] || { now_ms; return; }
  local t=${EPOCHREALTIME/./}
  echo "" >"$udc"
  echo $((t / 1000))
}

# The daemon's own log line, written just before its first read of a card: its own timestamp
# (RFC 3339, the guest's clock), the first one at or after SINCE_MS.
first_byte() {
  local stamp ms
  while read -r stamp _; do
    ms=$(to_ms "$stamp")
    ((ms >= $2)) && { echo "$ms"; return; }
  done < <(journalctl -u camdock -o cat --no-pager | grep "reading the first clip camera=\"$1\"" || true)
}

# A card image's filesystem mounted for a moment (OFFSET: 1048576 for a partitioned card, 0 for a
# superfloppy), COMMAND run in its root.
with_card() { # IMAGE OFFSET ro|rw COMMAND...
  local img=$1 offset=$2 mode=$3 mnt; shift 3
  mnt=$(mktemp -d)
  mount -t auto -o "$mode,loop,offset=$offset" "$img" "$mnt"
  (cd "$mnt" && "$@") || { umount "$mnt"; rmdir "$mnt"; return 1; }
  umount "$mnt"; rmdir "$mnt"
}

card_files() { with_card "$1" "$2" ro bash -c 'find . -type f ! -name TIMESET.TXT ! -name DEVICE.TXT -print0 | sort -z | xargs -0 sha256sum'; }

# What a camera's firmware does at its next power-on: takes TIMESET.TXT (its clock is then the
# station's), and writes DEVICE.TXT at the next dock with its clock.
firmware() { # IMAGE FS_OFFSET CLOCK_OFFSET_S
  with_card "$1" "$2" rw bash -c '
    offset=$2
    if [[ -f TIMESET.TXT ]]; then rm TIMESET.TXT; offset=0; fi
    [[ ! -f DEVICE.TXT ]] || sed -i "s/^clock=.*/clock=$(TZ=$1 date -d "@$(( $(date +%s) + offset ))" "+%Y-%m-%d %H:%M:%S")/" DEVICE.TXT' \
    _ "$STATION_TZ" "$3"
}

timeset() { with_card "$1" "$2" ro bash -c 'cat TIMESET.TXT 2>/dev/null || true'; }

# Until the daemon has read MB MiB of the cards docked now (its status.json), or a slot is done;
# with SERIAL, of that camera's card alone, or until its slot is done.
# Plain awk, polled every 20 ms: a Python start alone takes seconds in a TCG guest.
wait_bytes() { # MB [SERIAL]
  local want=$(($1 << 20))
  until awk -v want="$want" -v serial="${2:-}" '
      /"camera":/ { mine = serial == "" || index($0, "\"" serial "\"") > 0 }
      /"bytes_done"/ && mine { gsub(/[^0-9]/, "", $2); sum += $2 }
      /"state": "done"/ && mine { done = 1 }
      END { exit !(sum >= want || done) }' /var/lib/camdock/status.json 2>/dev/null; do
    sleep 0.02
  done
}

healthy() {
  local state restarts
  state=$(systemctl show camdock -p ActiveState --value)
  restarts=$(systemctl show camdock -p NRestarts --value)
  echo "$state, NRestarts $restarts"
  [[ $state == active && $restarts == 0 ]]
}

cmd=${1:-}; shift || true
# FILE written without fsync, then its extents read back by FIEMAP (no filefrag in the guest):
# "EXTENTS ON_DISK Dirty: … kB Writeback: … kB". ext4 allocates a written block only when it is
# written back, so an extent flagged FIEMAP_EXTENT_DELALLOC exists only in the page cache.
unflushed() {
  rm -f "$1"
  dd if=/dev/zero of="$1" bs=1M count="$2" status=none
  [[ $(stat -c %s "$1") == $(($2 * 1048576)) ]] || { echo "0 0 short write"; return 1; }
  python3 - "$1" <<'PY'
import fcntl, struct, sys
FS_IOC_FIEMAP, DELALLOC, N = 0xC020660B, 0x4, 512
head = struct.pack("=QQIIII", 0, 2**64 - 1, 0, 0, N, 0)
with open(sys.argv[1], "rb") as f:
    buf = bytearray(head + bytes(56 * N))
    fcntl.ioctl(f, FS_IOC_FIEMAP, buf)
mapped = struct.unpack_from("=I", buf, 20)[0]
flags = [struct.unpack_from("=I", buf, 32 + 56 * i + 40)[0] for i in range(mapped)]
mem = {l.split(":")[0]: l.split(":")[1].strip() for l in open("/proc/meminfo")}
print(mapped, sum(1 for f in flags if not f & DELALLOC), "Dirty:", mem["Dirty"], "Writeback:", mem["Writeback"])
PY
}

# The station's data_dir on another disk (mounted at DIR's parent): a drop-in lets the unit write
# there; the config's original is kept for store-back.
store_on() {
  install -d -o camdock -g camdock "$1"
  mkdir -p /etc/systemd/system/camdock.service.d
  printf '[Service]\nReadWritePaths=%s\n' "$(dirname "$1")" >/etc/systemd/system/camdock.service.d/store.conf
  [[ -f /etc/camdock/camdock.toml.orig ]] || cp /etc/camdock/camdock.toml /etc/camdock/camdock.toml.orig
  sed -i "s|^data_dir *=.*|data_dir = \"$1\"|" /etc/camdock/camdock.toml
  systemctl daemon-reload && systemctl restart camdock
}
store_back() {
  mv /etc/camdock/camdock.toml.orig /etc/camdock/camdock.toml
  rm -f /etc/systemd/system/camdock.service.d/store.conf
  systemctl daemon-reload && systemctl restart camdock
}

case $cmd in
  dock) dock "$@" ;;
  prepare) prepare "$@" ;;
  pull) pull "$@" ;;
  count) count "$@" ;;
  wait) wait_for "$@" ;;
  at) to_ms "$(nth "$1" "$2" "${3:-}" at)" ;;
  detail) nth "$1" "$2" "${3:-}" detail_json ;;
  first-byte) first_byte "$@" ;;
  q) q "$1" ;;
  card-files) card_files "$@" ;;
  timeset) timeset "$@" ;;
  wait-bytes) wait_bytes "$1" ;;
  pull-at) wait_bytes "$2" "${3:-}"; pull "$1" ;;
  healthy) healthy ;;
  unflushed) unflushed "$@" ;;
  store-on) store_on "$1" ;;
  store-back) store_back ;;
  *) sed -n '2,25p' "$0"; exit 2 ;;
esac
