#!/usr/bin/env bash
# `./dev station`: camdock on a real station. A Debian 12 guest (image.sh, vm.sh) gets camdock the
# way an admin installs it (`apt install ./camdock_*.deb`), body cameras are real USB devices
# (gadget.sh), and every scenario docks, pulls and power-cuts them, then reads the result back from
# the ledger. One line per scenario, PASS or FAIL; the exit status is 1 if any failed.
#
#   tools/station/run.sh [--cuts N] [--pulls N]     (defaults: 3 power cuts, 5 pulls)
#   ONLY="dock pulls" runs those scenarios alone; KEEP=1 leaves the guest running.
#   CRASH_POINTS=all CRASH_BETWEEN=N: the crash-state replay in full (scenario_crash);
#   CRASH_BINARY=FILE: the crash scenario ingests with FILE (a broken build) and passes if caught.
#
# Needs target/release/camdock. Builds (cached) under target/station/: the .deb, the image, cards.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
source "$here/vm.sh"
CUTS=3 PULLS=5 CRASH_POINTS=${CRASH_POINTS:-16} CRASH_BETWEEN=${CRASH_BETWEEN:-4}
while (($#)); do
  case $1 in
    --cuts) CUTS=$2; shift 2 ;;
    --pulls) PULLS=$2; shift 2 ;;
    *) sed -n '2,10p' "$0"; exit 2 ;;
  esac
done
CAMDOCK=$repo/target/release/camdock
CARDS=$VM_SHARE/cards
LOG=$VM_OUT/run.log
mkdir -p "$VM_OUT" "$CARDS"
: >"$LOG"
FAILED=0

say() { printf '%s\n' "$*" | tee -a "$LOG"; }
pass() { say "$(printf 'PASS  %-16s %s' "$1" "$2")"; }
fail() { say "$(printf 'FAIL  %-16s %s' "$1" "$2")"; FAILED=1; }
note() { echo "  $*" >>"$LOG"; }
# Runs a guest command, logging it; its stdout is the result.
g() { note "guest: $*"; vm_ssh "$(printf '%q ' "$@")" 2>>"$LOG"; }
station() { g station "$@"; }
# A guest shell command line (pipes, redirections), logged.
gsh() { note "guest: $1"; vm_ssh "$1" 2>>"$LOG"; }

# A camera card on the host: `camdock simulate-camera` (real H.264 clips, recorded yesterday
# morning) plus, with BIG_MB, one large real clip made by ffmpeg (recorded last, at 23:50); then the image (card.sh). Leaves CARDS/NAME.img and the sha256
# of every recording in CARDS/NAME.sums, in the form `station card-files` prints.
make_card() { # TYPE NAME SERIAL [simulate-camera options...]
  local type=$1 name=$2 serial=$3 dir; shift 3
  dir=$(mktemp -d)
  TZ=$STATION_TZ "$CAMDOCK" simulate-camera "$dir" --serial "$serial" "$@" >/dev/null
  if [[ -n ${BIG_MB:-} ]]; then
    big_clip "$serial" "$BIG_MB" "$dir/DCIM/100MEDIA/${serial}_100234_$(TZ=$STATION_TZ date -d yesterday +%Y%m%d)235000_0099.MP4"
  fi
  (cd "$dir" && find . -type f ! -name DEVICE.TXT -print0 | sort -z | xargs -0 sha256sum) >"$CARDS/$name.sums"
  # KEEP_FILES=1: the card's files kept beside its image (the host cannot mount FAT).
  [[ -z ${KEEP_FILES:-} ]] || { rm -rf "$CARDS/$name.files"; cp -a "$dir" "$CARDS/$name.files"; }
  "$here/card.sh" "$type" "$CARDS/$name.img" "$dir" >/dev/null
  rm -rf "$dir"
}
# Real 1080p H.264 at ~80 Mbit/s (MB MiB take MB/10 s of video; noise seeded by SERIAL, so each
# camera's clip differs) into OUT. Encoding is the slow part of making a card, and the clip depends
# only on its arguments: it is made once per machine under the cache (keyed by the command line
# that makes it and the ffmpeg that ran it) and copied from there.
big_clip() { # SERIAL MB OUT
  local serial=$1 mb=$2 out=$3 args key cached
  args=(-f lavfi -i "testsrc2=size=1920x1080:rate=30,noise=alls=24:allf=t+u:all_seed=$serial"
    -t $((mb / 10)) -c:v libx264 -preset ultrafast -b:v 80M -maxrate 80M -bufsize 160M -pix_fmt yuv420p)
  key=$( { printf '%s\n' "${args[@]}"; ffmpeg -version | head -1; } | sha256sum | cut -c1-16)
  cached=$VM_CACHE/clips/$key.mp4
  if [[ ! -f $cached ]]; then
    mkdir -p "$VM_CACHE/clips"
    ffmpeg -loglevel error -y "${args[@]}" -f mp4 "$cached.$$.tmp"
    mv "$cached.$$.tmp" "$cached"
  fi
  cp "$cached" "$out"
}
offset_of() { case $1 in *-super) echo 0 ;; *) echo 1048576 ;; esac; }

# The shas the ledger stored for CAMERA, sorted.
stored_shas() { station q "SELECT clip_sha256 FROM events WHERE kind = 'clip-stored' AND camera = '$1' ORDER BY 1"; }
card_shas() { awk '{print $1}' "$CARDS/$1.sums" | sort; }
json_field() { python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(eval(sys.argv[2]))' "$1" "$2"; }

boot_and_install() {
  local deb=$1
  vm_stop
  vm_start >>"$LOG" 2>&1
  # A station's USB controllers are up before camdock starts (the dock ports: dummy_hcd here).
  gsh "GADGET_PORTS=8 bash /mnt/share/gadget.sh list" >>"$LOG"
  gsh "apt-get install -y -q /mnt/share/$(basename "$deb")" >>"$LOG"
  gsh "install -m 755 /mnt/share/gadget.sh /mnt/share/amba-camera.py /usr/local/sbin/ && install -m 755 /mnt/share/guest.sh /usr/local/sbin/station"
  # The admin names the dock slots after the ports they are wired to.
  gsh "sed -i 's/^# slots = /slots = /' /etc/camdock/camdock.toml && systemctl restart camdock && mkdir -p /var/lib/station"
}

# Before a power cut (vm_powercut): NRestarts starts again at each boot, so the service's automatic
# restarts of the boot about to end are added up first: service-after counts every boot's.
count_restarts() {
  local n; n=$(gsh "systemctl show camdock -p NRestarts --value" || echo unknown)
  note "NRestarts before the cut: $n"
  if [[ $n =~ ^[0-9]+$ ]]; then RESTARTS_BEFORE_CUTS=$((RESTARTS_BEFORE_CUTS + n)); else RESTARTS_UNKNOWN=1; fi
}

# Copies a card into the guest's own disk (a gadget's backing file must not sit on the 9p share).
put_card() { gsh "cp /mnt/share/cards/$1.img /var/lib/station/$1.img"; }

# --- the scenarios ------------------------------------------------------------------------------

scenario_service() {
  local h
  if h=$(station healthy); then pass service "camdock.service $h after boot and install"; else fail service "$h"; fi
}

# One camera docked: mounted read-only, every clip stored once with the card's own hashes, and
# camera-docked names the USB serial, VID:PID and slot.
scenario_dock() {
  put_card a
  local t0 t1 mnt detail
  t0=$(station dock a /var/lib/station/a.img 1048576 5100001 0)
  station wait clip-stored 3 5100001 120 && station wait health-read 1 5100001 60 || true
  t1=$(station first-byte 5100001 "$t0")
  LAT_DOCK+=("$((t1 - t0))")
  mnt=$(gsh "findmnt -rn -o OPTIONS /run/camdock/media/5100001-sda1" || true)
  detail=$(station detail camera-docked 5100001)
  local why=()
  [[ $mnt == ro,* ]] || why+=("mount options '$mnt'")
  [[ $(stored_shas 5100001) == "$(card_shas a)" ]] || why+=("stored hashes differ from sha256sum of the card")
  [[ $(station q "SELECT count(*) FROM events WHERE kind='clip-stored' AND camera='5100001'") == 3 ]] || why+=("not 3 clip-stored")
  # Each clip probed by libav behind its wall (a child under the unit's filter and its own).
  local media; media=$(station q "SELECT group_concat(json_extract(media_json, '\$.integrity')) FROM clips WHERE sha256 IN (SELECT sha256 FROM recordings WHERE camera = '5100001')")
  [[ $media == ok,ok,ok ]] || why+=("media facts '$media', not ok,ok,ok")
  [[ $(json_field "$detail" 'd["usb_serial"], d["usb_id"], d["slot"]') == "('5100001', '0525:a4a5', 'slot 1')" ]] ||
    why+=("camera-docked says $(json_field "$detail" 'd["usb_serial"], d["usb_id"], d["slot"]')")
  # The card's dirty flag was read (by the udev rule, as root: the daemon cannot open the device).
  local dirty; dirty=$(json_field "$(station detail health-read 5100001)" 'd["health"].get("fs_dirty")')
  [[ $dirty == False ]] || why+=("fs_dirty '$dirty' for a clean card, not False")
  if ((${#why[@]} == 0)); then
    pass dock "read-only mount; 3 clips stored once, hashes = sha256sum of the card, probed behind the wall; serial, 0525:a4a5, slot 1; clean card read as clean; dock→first byte $((t1 - t0)) ms"
  else fail dock "${why[*]}"; fi
}

# The pull is on the record within 2 s; the re-dock is a new dock, handled to the end.
scenario_undock() {
  local t0 t1 ms
  t0=$(station pull a)
  station wait camera-undocked 1 5100001 30
  t1=$(station at camera-undocked 5100001)
  ms=$((t1 - t0)); LAT_PULL+=("$ms")
  t0=$(station dock a /var/lib/station/a.img 1048576 5100001 0)
  station wait camera-docked 2 5100001 60 && station wait clip-already-stored 3 5100001 120
  local stored; stored=$(station count clip-stored 5100001)
  station pull a >/dev/null; station wait camera-undocked 2 5100001 30
  if ((ms <= 2000)) && [[ $stored == 3 ]]; then
    pass undock "pull→camera-undocked $ms ms; re-dock recorded, its 3 clips recognised (already stored), nothing stored twice"
  else fail undock "pull→camera-undocked $ms ms (want ≤ 2000); clip-stored $stored (want 3)"; fi
}

# Two cameras copying, one pulled: the pull is on the record within 2 s whatever the other camera
# is doing (no session waits on another's I/O), the other goes on to the end, and the re-dock of
# the pulled one stores the rest: every clip of both cards stored once.
scenario_twopull() {
  put_card full0; put_card full1
  local why=() t0 t1 ms
  # Both docked in one guest command (under TCG an ssh round trip takes seconds), then full1
  # pulled once 30 of the two cards' ~62 MiB were read (each: a short clip, then a 30 MiB one).
  gsh "station dock full0 /var/lib/station/full0.img 1048576 5600000 2 & station dock full1 /var/lib/station/full1.img 1048576 5600001 3 & wait" >/dev/null
  station wait camera-docked 1 5600001 60 || why+=("full1 never docked")
  t0=$(station pull-at full1 30)
  if station wait camera-undocked 1 5600001 60; then
    t1=$(station at camera-undocked 5600001); ms=$((t1 - t0)); LAT_PULL+=("$ms")
    ((ms <= 2000)) || why+=("pull→camera-undocked $ms ms (want ≤ 2000) with another camera copying")
  else why+=("no camera-undocked within 60 s of the pull"); fi
  station wait clip-stored "$(wc -l <"$CARDS/full0.sums")" 5600000 300 || true
  station wait health-read 1 5600000 60 || true
  # The other camera was still at work when the pull went on the record: its session ended later.
  local busy; busy=$(station q "SELECT (SELECT max(seq) FROM events WHERE kind = 'health-read' AND camera = '5600000') > (SELECT max(seq) FROM events WHERE kind = 'camera-undocked' AND camera = '5600001')")
  [[ $busy == 1 ]] || why+=("full0 had finished before full1's pull was recorded: the pull was not beside a copy")
  station pull full0 >/dev/null
  station dock full1 /var/lib/station/full1.img 1048576 5600001 3 >/dev/null
  station wait clip-stored "$(wc -l <"$CARDS/full1.sums")" 5600001 300 || true
  station pull full1 >/dev/null
  [[ $(stored_shas 5600000) == "$(card_shas full0)" ]] || why+=("full0: stored $(station count clip-stored 5600000) of $(wc -l <"$CARDS/full0.sums")")
  [[ $(stored_shas 5600001) == "$(card_shas full1)" ]] || why+=("full1: stored $(station count clip-stored 5600001) of $(wc -l <"$CARDS/full1.sums")")
  local verify; verify=$(gsh "runuser -u camdock -- camdock --config /etc/camdock/camdock.toml verify --json" || true)
  [[ $(json_field "${verify:-{\}}" 'd.get("ok")') == True ]] || why+=("verify failed")
  if ((${#why[@]} == 0)); then pass two-pull "one of two cameras copying pulled: camera-undocked $ms ms after the unbind, the other camera still copying; the other finished; after the re-dock every clip of both stored once; verify ok"
  else fail two-pull "${why[*]}"; fi
}

# A card pulled out of its camera mid-write: its FAT "volume dirty" bit set (byte 0x41 of the
# FAT32 boot sector, the partition at 1 MiB). The daemon, its own user, cannot open the card's
# block device: the udev rule reads the flag as root before the mount. fs_dirty true on the
# record, and the fleet says why the camera needs attention.
scenario_dirty() {
  put_card dirty
  gsh "printf '\\001' | dd of=/var/lib/station/dirty.img bs=1 seek=$((1048576 + 0x41)) conv=notrunc status=none"
  station dock dirty /var/lib/station/dirty.img 1048576 5700001 1 >/dev/null
  local why=() dirty fleet codes
  station wait health-read 1 5700001 120 || why+=("no health-read")
  station pull dirty >/dev/null
  dirty=$(json_field "$(station detail health-read 5700001)" 'd["health"].get("fs_dirty")')
  [[ $dirty == True ]] || why+=("fs_dirty '$dirty', not True")
  fleet=$(gsh "runuser -u camdock -- camdock --config /etc/camdock/camdock.toml fleet --json" || echo '[]')
  codes=$(json_field "$fleet" '",".join(a["code"] for c in d if c["camera"] == "5700001" for a in c["attention"])')
  [[ ,$codes, == *,card-dirty,* ]] || why+=("the fleet's attention for 5700001: '$codes', no card-dirty")
  if ((${#why[@]} == 0)); then pass dirty-card "a card docked with its FAT dirty bit set: fs_dirty true (read by the udev rule as root), the fleet's attention: $codes"
  else fail dirty-card "${why[*]}"; fi
}

# A camera 600 s fast: the correction reaches the card through the privileged window, the camera
# applies it, and the next dock verifies it; no recording changes.
scenario_clock() {
  put_card fast
  local before after offset detail timeset check
  before=$(station card-files /var/lib/station/fast.img 1048576)
  local t0 lag
  t0=$(station dock fast /var/lib/station/fast.img 1048576 5200002 1 600)
  station wait clock-corrected 1 5200002 120 || true
  offset=$(json_field "$(station detail clock-checked 5200002)" 'd["check"]["offset_ms"]')
  lag=$(($(station at clock-checked 5200002) - t0))
  detail=$(station detail clock-corrected 5200002 || true)
  station pull fast >/dev/null; station wait camera-undocked 1 5200002 30
  after=$(station card-files /var/lib/station/fast.img 1048576)
  timeset=$(station timeset /var/lib/station/fast.img 1048576)
  # The camera powers on with the TIMESET.TXT (its firmware applies it), then docks again.
  station dock fast /var/lib/station/fast.img 1048576 5200002 1 600 >/dev/null
  station wait clock-checked 2 5200002 60
  check=$(station detail clock-checked 5200002)
  station pull fast >/dev/null; station wait camera-undocked 2 5200002 30
  local why=()
  # The camera writes DEVICE.TXT as it docks and the station reads it once the card is mounted:
  # under TCG that takes seconds (4-10 s measured, more on a loaded host), so the station finds
  # 600 s less that lag (LAG: from the bind to clock-checked; the firmware step before the bind
  # adds up to a few seconds more). The next dock's offset shows the same lag (tolerance 10 s).
  ((offset > 600000 - lag - 5000 && offset < 600000 - lag + 1000)) || why+=("offset $offset ms, lag $lag ms")
  [[ -n $detail && $(json_field "$detail" 'd["read_write_window"] is not None') == True ]] ||
    why+=("no clock-corrected through a window: $(station detail clock-correction-failed 5200002 || true)")
  [[ -n $timeset ]] || why+=("no TIMESET.TXT on the card")
  [[ $before == "$after" ]] || why+=("a recording changed on the card")
  [[ $(json_field "$check" 'd["previous_correction"]["applied"] and abs(d["check"]["offset_ms"]) <= 10000') == True ]] ||
    why+=("next dock: $(json_field "$check" 'd["previous_correction"], d["check"]["offset_ms"]')")
  if ((${#why[@]} == 0)); then
    pass clock "+$((offset / 1000)) s found; TIMESET.TXT '$timeset' through a read-write window ($(json_field "$detail" 'd["read_write_window"]["opened_at"]') to $(json_field "$detail" 'd["read_write_window"]["closed_at"]')); applied and verified at the next dock (offset $(json_field "$check" 'd["check"]["offset_ms"]') ms); recordings byte-identical"
  else fail clock "${why[*]}"; fi
}

# Four cameras on four ports at once: FAT32, FAT32 superfloppy, exFAT, exFAT superfloppy.
scenario_four() {
  local i types=(fat32 fat32-super exfat exfat-super) why=()
  for i in 0 1 2 3; do put_card "four$i"; done
  for i in 0 1 2 3; do station dock "four$i" "/var/lib/station/four$i.img" "$(offset_of "${types[$i]}")" "530000$i" "$i" >/dev/null; done
  for i in 0 1 2 3; do station wait clip-stored 2 "530000$i" 180 || true; done
  for i in 0 1 2 3; do
    [[ $(stored_shas "530000$i") == "$(card_shas "four$i")" ]] || why+=("${types[$i]}: stored $(station count clip-stored "530000$i") of 2")
    [[ $(json_field "$(station detail camera-docked "530000$i")" 'd["slot"]') == "slot $((i + 1))" ]] || why+=("${types[$i]}: wrong slot")
  done
  for i in 0 1 2 3; do station pull "four$i" >/dev/null; done
  if ((${#why[@]} == 0)); then pass four-at-once "4 ports at once: FAT32, FAT32 superfloppy, exFAT, exFAT superfloppy, every clip stored once, slots 1-4"
  else fail four-at-once "${why[*]}"; fi
}

# A vendor-protocol camera: only its vendor interface until the station logs in, reads its id,
# sets its clock and switches it to storage mode (amba-camera.py); then its card is ingested on
# the same port, joined with what was done over USB.
scenario_vendor() {
  put_card vendor
  local before t0 prep docked frames why=()
  before=$(station card-files /var/lib/station/vendor.img 1048576)
  t0=$(gsh "date +%s%3N")
  gsh "gadget.sh amba vcam /var/lib/station/vendor.img 4255001 2" >>"$LOG"
  station wait camera-prepared 1 4255001 90 && station wait camera-docked 1 4255001 180 &&
    station wait clip-stored 2 4255001 300 && station wait clock-corrected 1 4255001 120 || true
  # `station detail` prints nothing when there is no such event: read that as {}.
  prep=$(station detail camera-prepared 4255001 || true); prep=${prep:-'{}'}
  docked=$(station detail camera-docked 4255001 || true); docked=${docked:-'{}'}
  frames=$(gsh "awk '\$3 == \">\" { print substr(\$4, 2, 3) }' /run/amba-camera/vcam.log | xargs" || true)
  gsh "gadget.sh amba-stop vcam; gadget.sh remove vcam" >>"$LOG" 2>&1 || true
  station wait camera-undocked 1 4255001 30 || true
  [[ $(json_field "$prep" 'd.get("ok"), d.get("device_id"), d.get("usb_serial"), d.get("port")') == "(True, '4255001', '4255001', '3-1')" ]] ||
    why+=("camera-prepared: $prep")
  [[ $frames == "Ver Gdv Sdt Stm ATH" ]] || why+=("frames received: $frames")
  [[ $(json_field "$docked" 'd.get("usb_id"), d.get("profile"), d.get("slot")') == "('4255:0001', 'amba-usb', 'slot 3')" ]] ||
    why+=("camera-docked: $(json_field "$docked" 'd.get("usb_id"), d.get("profile"), d.get("slot")')")
  [[ $(stored_shas 4255001) == "$(card_shas vendor)" ]] || why+=("stored $(station count clip-stored 4255001) of 2")
  [[ $(json_field "$(station detail clock-corrected 4255001 || echo '{}')" 'd.get("timeset")') == "$(json_field "$prep" 'd.get("clock_set")')" ]] ||
    why+=("clock-corrected is not the clock set over USB")
  [[ $(station card-files /var/lib/station/vendor.img 1048576) == "$before" ]] || why+=("the card changed")
  if ((${#why[@]} == 0)); then
    pass vendor-camera "4255:0001 in vendor mode: Ver, Gdv (id 4255001), clock set to '$(json_field "$prep" 'd["clock_set"]')', storage mode; its card on port 3-1 (slot 3) ingested: 2 clips, clock-corrected over USB; +$(($(station at clip-stored 4255001) - t0)) ms from plug to last clip"
  else fail vendor-camera "${why[*]}"; fi
}

# Pulled mid-copy at a random instant: an interruption, no half clip, no clip-failed; the re-dock
# completes it.
scenario_pulls() {
  put_card big
  local n why=() at
  for ((n = 1; n <= PULLS; n++)); do
    # A random instant while the large clip streams: once the daemon has read AT MB of the card
    # (its status.json), the camera is pulled. The large clip is never stored by an interrupted
    # session, so every re-dock reads it again from its first byte. AT stays 36 MiB short of the
    # clip's end: a re-dock reads what the guest has cached fast, and the unbind takes a second or
    # two under TCG, so a later instant can find the copy already finished (then the clip is
    # stored and no later pull can interrupt anything: the scenario says so, below).
    at=$((4 + RANDOM % 56))
    station dock big /var/lib/station/big.img 1048576 5400004 2 >/dev/null
    station pull-at big "$at" >/dev/null
    if ! station wait session-interrupted "$n" 5400004 30; then
      if [[ $(station count clip-stored 5400004) == "$(wc -l <"$CARDS/big.sums")" ]]; then
        why+=("pull $n at $at MB came after the copy had finished (the test bed's timing, not a lost interruption)")
        break
      fi
      why+=("pull $n at $at MB: no session-interrupted")
    fi
    station wait camera-undocked "$n" 5400004 30 || true
    local staged; staged=$(gsh "find /var/lib/camdock/store/staging -type f ! -name .lock | wc -l")
    note "pull $n at $at MB: staged $staged, interrupted $(station count session-interrupted 5400004)"
    [[ $staged == 0 ]] || why+=("pull $n: $staged staged file(s) left")
  done
  local failed interrupted; failed=$(station count clip-failed 5400004); interrupted=$(station count session-interrupted 5400004)
  station dock big /var/lib/station/big.img 1048576 5400004 2 >/dev/null
  station wait clip-stored "$(wc -l <"$CARDS/big.sums")" 5400004 300 || true
  station pull big >/dev/null
  [[ $failed == 0 ]] || why+=("$failed clip-failed")
  [[ $(stored_shas 5400004) == "$(card_shas big)" ]] || why+=("after the re-dock: stored $(station count clip-stored 5400004) of $(wc -l <"$CARDS/big.sums")")
  local verify; verify=$(gsh "runuser -u camdock -- camdock --config /etc/camdock/camdock.toml verify --json" || true)
  [[ $(json_field "${verify:-{\}}" 'd.get("ok")') == True ]] || why+=("verify failed")
  if ((${#why[@]} == 0)); then pass pull-mid-copy "$PULLS pulls mid-clip (random points of a 96 MiB clip): $interrupted interruptions, 0 clip-failed, no half clip; the re-dock stored every clip once; verify ok"
  else fail pull-mid-copy "${why[*]}"; fi
}

# The control, in a power cut (one boot fewer than a cut of its own, ~35 s here): a file written
# without fsync just before the cut is lost or cut short, so the cut really drops what the guest
# had not flushed.
# The guest's flusher is held off first (a background threshold and an expiry far away: gone with
# the cut's reboot), and in the same guest command the file's extents are read (FIEMAP): the
# control counts only if every extent is still delayed allocation (in the page cache, not on the
# disk) when the host kills QEMU. Twice in CI something wrote the file back before the cut all the
# same (it survived whole: a spoiled control, not a kind cut); a spoiled control says so in the log
# and is tried again at the next cut.
CONTROL=pending  # pending | held (written, unflushed at the cut) | done
write_control() {
  local extents
  extents=$(gsh "sysctl -q vm.dirty_background_bytes=1073741824 vm.dirty_bytes=1610612736 vm.dirty_expire_centisecs=360000 && station unflushed /var/lib/station/unflushed 16" || echo "")
  note "control: extents (all, on disk) and memory before the cut: ${extents:-none}"
  local all written; read -r all written _ <<<"$extents"
  if [[ ${all:-0} -gt 0 && ${written:-1} == 0 ]]; then CONTROL=held
  else note "control spoiled before the cut (already on the disk, or not written): tried again at the next cut"; fi
}
check_control() {
  local size; size=$(gsh "stat -c %s /var/lib/station/unflushed 2>/dev/null || echo 0")
  if ((size < 16 * 1024 * 1024)); then pass power-control "a 16 MiB file written without fsync just before cut $1 (all of it still in the guest's page cache): $size bytes after it"
  else fail power-control "the unflushed file survived whole: the cut loses nothing, so it proves nothing"; fi
  CONTROL=done
}

# Power cut at a random instant of an ingest, then reboot, re-dock, verify: every clip stored once,
# nothing written to the camera before all its clips committed.
scenario_power() {
  local n why=() serial
  for ((n = 1; n <= CUTS; n++)); do
    serial=55000$(printf '%02d' "$n")
    BIG_MB=40 make_card fat32 "cut$n" "$serial" --clips 3
    put_card "cut$n"
    g sync
    local t0 at before
    before=$(station card-files "/var/lib/station/cut$n.img" 1048576)
    t0=$(station dock "cut$n" "/var/lib/station/cut$n.img" 1048576 "$serial" 3 600)
    station wait camera-docked 1 "$serial" 60
    # A random point of the ingest: after AT MiB of the card were read (the small clips come
    # first, the 40 MiB one last), so cuts fall before, between and after commits.
    at=$((RANDOM % 44))
    station wait-bytes "$at"
    count_restarts
    [[ $CONTROL == pending ]] && write_control
    vm_powercut >>"$LOG" 2>&1
    [[ $CONTROL == held ]] && check_control "$n"
    local committed total timeset; committed=$(station count clip-stored "$serial")
    total=$(wc -l <"$CARDS/cut$n.sums")
    note "cut $n at $at MiB read: $committed clip(s) committed before the cut"
    CUT_POINTS+=("$at MiB/$committed")
    # The card as the cut left it, before the camera's firmware (the re-dock) takes TIMESET.TXT:
    # the station may have written it only once every clip of the card was committed.
    timeset=$(station timeset "/var/lib/station/cut$n.img" 1048576)
    note "cut $n: TIMESET.TXT on the card after the cut: '${timeset:-none}'"
    if [[ -n $timeset ]]; then
      TIMESET_AFTER_CUTS=$((TIMESET_AFTER_CUTS + 1))
      ((committed == total)) || why+=("cut $n: TIMESET.TXT on the card with $committed of $total clips committed")
    fi
    # After the reboot: configfs is empty (the camera "re-docks"), the service must be up.
    gsh "systemctl is-active camdock" >/dev/null || why+=("cut $n: camdock not active after reboot")
    station dock "cut$n" "/var/lib/station/cut$n.img" 1048576 "$serial" 3 600 >/dev/null
    station wait clock-corrected 1 "$serial" 300 || station wait clock-correction-failed 1 "$serial" 10 || true
    station pull "cut$n" >/dev/null
    [[ $(stored_shas "$serial") == "$(card_shas "cut$n")" ]] || why+=("cut $n at +$at ms: stored $(station count clip-stored "$serial") of $(wc -l <"$CARDS/cut$n.sums")")
    [[ $(station card-files "/var/lib/station/cut$n.img" 1048576) == "$before" ]] || why+=("cut $n: a recording changed on the card")
    local verify; verify=$(gsh "runuser -u camdock -- camdock --config /etc/camdock/camdock.toml verify --json" || true)
    [[ $(json_field "${verify:-{\}}" 'd.get("ok")') == True ]] || why+=("cut $n: verify failed")
  done
  [[ $CONTROL == done ]] || fail power-control "in each of the $CUTS cuts the control file was on the disk before the cut (run.log: its extents)"
  if ((${#why[@]} == 0)); then pass power-cut "$CUTS cuts at random points of an ingest (MiB read/clips committed: ${CUT_POINTS[*]}): after reboot and re-dock every clip stored once; the card's recordings unchanged; TIMESET.TXT on the card after $TIMESET_AFTER_CUTS cut(s), each time with every clip committed; verify ok"
  else fail power-cut "${why[*]}"; fi
}

# The store disk fills up mid-write: the station's data moved to a 64 MiB ext4 disk (a drop-in
# lets the unit write there), two cameras docked at once, each with a ~36 MiB clip that fits alone
# (the check before a clip passes for both) but not beside the other. The clip that meets the full
# disk fails by name with ENOSPC, its staging file goes, the rest is stored, the service stays up.
scenario_diskfull() {
  local i why=() failed verify
  for i in 0 1; do put_card "full$i"; done
  # The disk is made on the host (the guest has no mkfs.ext4) and copied in.
  truncate -s 64M "$CARDS/store.img" && mkfs.ext4 -q -F -b 4096 -N 512 -m 0 "$CARDS/store.img"
  gsh "set -e; cp /mnt/share/cards/store.img /var/lib/station/store.img
       mkdir -p /srv/store; mount -o loop /var/lib/station/store.img /srv/store; station store-on /srv/store/camdock" >>"$LOG" 2>&1
  note "store: $(gsh "df -m --output=avail /srv/store | tail -1") MiB free"
  # Both in one guest command: under TCG an ssh round trip takes seconds, and the second camera's
  # check must come while the first has written little.
  gsh "station dock full0 /var/lib/station/full0.img 1048576 5600000 0 & station dock full1 /var/lib/station/full1.img 1048576 5600001 1 & wait" >/dev/null
  for i in 0 1; do station wait health-read 1 "560000$i" 300 || true; done
  failed=$(station q "SELECT count(*) FROM events WHERE kind = 'clip-failed' AND camera LIKE '560000_' AND detail_json LIKE '%No space left on device%'")
  ((failed >= 1)) || why+=("no clip met the full disk mid-write ($(station q "SELECT group_concat(json_extract(detail_json, '\$.error'), ' | ') FROM events WHERE kind = 'clip-failed'"))")
  for i in 0 1; do
    [[ $(station q "SELECT count(*) FROM events WHERE kind = 'clip-stored' AND camera = '560000$i' AND json_extract(detail_json, '\$.bytes') < 10000000") == 1 ]] ||
      why+=("camera $i: its short clip not stored")
  done
  # The staging folders live in the store (data_dir/store/staging/<process>/); each live process
  # keeps a .lock there. A folder that is not there is a failure too, not a count of 0.
  local staged; staged=$(gsh "test -d /srv/store/camdock/store/staging && find /srv/store/camdock/store/staging -type f ! -name .lock | wc -l" || true)
  [[ $staged == 0 ]] || why+=("staging files left: '${staged:-no staging folder}'")
  verify=$(gsh "runuser -u camdock -- camdock --config /etc/camdock/camdock.toml verify --json" || true)
  [[ $(json_field "${verify:-{\}}" 'd.get("ok")') == True ]] || why+=("verify failed")
  gsh "systemctl is-active camdock" >/dev/null || why+=("camdock not active")
  for i in 0 1; do station pull "full$i" >/dev/null; done
  gsh "set -e; station store-back; umount /srv/store" >>"$LOG" 2>&1 || why+=("could not put the store back")
  if ((${#why[@]} == 0)); then
    pass disk-full "store disk full mid-write with two cameras copying: $failed clip(s) failed by name with ENOSPC, staging removed, the short clips of both stored, verify ok, service up"
  else fail disk-full "${why[*]}"; fi
}

# A shift change: eight cameras docked within a minute on eight ports (FAT32 and exFAT,
# partitioned and superfloppy; cards of short clips and of 20-30 MiB real H.264 clips), two of them
# pulled mid-copy and the service restarted while the others copy. Each pull is on the record
# within 2 s of its unbind whatever the other cameras are doing; after the re-docks every clip of
# every card is stored exactly once (the ledger = sha256sum of the cards); the restart leaves no
# clip without media facts (a probe cut by the stop is probed again at the start); verify passes.
# `./dev proof` (SCENARIOS_EXTRA=shift); `./dev test` has the two-camera pull (twopull).
SHIFT_TYPES=(fat32 fat32-super exfat exfat-super fat32 exfat fat32 fat32-super)
scenario_shift() {
  local i why=() ms t1 pulled=(1 5)
  for i in {0..7}; do put_card "shift$i"; done
  # The eight cameras powered on first (each camera's firmware step takes seconds under TCG), then
  # a shift arriving: docked two seconds apart, in the background of the guest, while the host
  # goes on to the pulls.
  for i in {0..7}; do station prepare "shift$i" "/var/lib/station/shift$i.img" "$(offset_of "${SHIFT_TYPES[$i]}")" "590000$i"; done
  gsh "nohup bash -c 'for i in {0..7}; do echo dummy_udc.\$i >/sys/kernel/config/usb_gadget/shift\$i/UDC; sleep 2; done' >/dev/null 2>&1 &"
  # Two pulled mid-copy (each once 8 MiB of its own card were read), then, as soon as the second
  # is on the record, the service restarted while the others still copy (one guest command: under
  # TCG each ssh round trip takes seconds, and the copies are done within half a minute).
  local copying="SELECT count(*) FROM events d WHERE kind = 'camera-docked' AND camera LIKE '590000_' AND NOT EXISTS (SELECT 1 FROM events e WHERE e.kind IN ('health-read', 'camera-undocked') AND e.camera = d.camera AND e.seq > d.seq)"
  local t_pull=() busy restarted t5
  t_pull+=("$(station pull-at shift1 8 5900001)")
  read -r t5 busy restarted < <(gsh "t=\$(station pull-at shift5 8 5900005); station wait camera-undocked 1 5900005 30 >&2
    echo \$t \$(station q \"$copying\"); systemctl restart camdock; date +%s%3N" | xargs)
  t_pull+=("$t5")
  note "restarted at $restarted with ${busy:-?} camera(s) copying"
  ((${busy:-0} >= 1)) || why+=("no camera was copying at the restart")
  local k=0
  for i in "${pulled[@]}"; do
    if station wait camera-undocked 1 "590000$i" 60; then
      t1=$(station at camera-undocked "590000$i" 1); ms=$((t1 - t_pull[k])); LAT_PULL+=("$ms")
      ((ms <= 2000)) || why+=("shift$i: pull→camera-undocked $ms ms (want ≤ 2000)")
    else why+=("shift$i: no camera-undocked within 60 s of the pull"); fi
    k=$((k + 1))
  done
  for i in "${pulled[@]}"; do
    [[ $(station count clip-stored "590000$i") -lt $(wc -l <"$CARDS/shift$i.sums") ]] || why+=("shift$i had finished before its pull")
  done
  # The six still docked finish (the restart resumes them); the two pulled are docked again.
  for i in 0 2 3 4 6 7; do station wait clip-stored "$(wc -l <"$CARDS/shift$i.sums")" "590000$i" 600 || true; done
  for i in "${pulled[@]}"; do station dock "shift$i" "/var/lib/station/shift$i.img" "$(offset_of "${SHIFT_TYPES[$i]}")" "590000$i" "$i" >/dev/null; done
  for i in "${pulled[@]}"; do station wait clip-stored "$(wc -l <"$CARDS/shift$i.sums")" "590000$i" 600 || true; done
  for i in {0..7}; do
    [[ $(stored_shas "590000$i") == "$(card_shas "shift$i")" ]] ||
      why+=("shift$i (${SHIFT_TYPES[$i]}): stored $(station count clip-stored "590000$i") of $(wc -l <"$CARDS/shift$i.sums")")
  done
  local unknown reprobed
  unknown=$(station q "SELECT count(*) FROM clips WHERE sha256 IN (SELECT sha256 FROM recordings WHERE camera LIKE '590000_') AND coalesce(json_extract(media_json, '\$.integrity'), '') != 'ok'")
  # Clips stored before the restart whose media facts came after it: a probe cut by the stop.
  local after="(julianday(at) - 2440587.5) * 86400000 > $restarted"
  reprobed=$(station q "SELECT count(*) FROM events WHERE kind = 'clip-probed' AND $after AND clip_sha256 IN (SELECT clip_sha256 FROM events WHERE kind = 'clip-stored' AND camera LIKE '590000_' AND NOT $after)")
  [[ $unknown == 0 ]] || why+=("$unknown clip(s) without media facts after the restart")
  for i in {0..7}; do gsh "station pull shift$i" >/dev/null; done
  local verify; verify=$(gsh "runuser -u camdock -- camdock --config /etc/camdock/camdock.toml verify --json" || true)
  [[ $(json_field "${verify:-{\}}" 'd.get("ok")') == True ]] || why+=("verify failed")
  if ((${#why[@]} == 0)); then
    pass shift-change "8 cameras docked 2 s apart on 8 ports (${SHIFT_TYPES[*]}), 2 pulled mid-copy (camera-undocked ${LAT_PULL[*]: -2} ms after the unbinds), the service restarted with $busy camera(s) copying: every clip of every card stored once, each with its media facts ($reprobed stored before the restart and probed after it), verify ok"
  else fail shift-change "${why[*]}"; fi
}

# Every crash state of one dock's ingest: the station's store and ledger on a disk under
# dm-log-writes (the guest's kernel logs each write as it completes, and each FLUSH and FUA), one
# camera docked and ingested to the end, the log brought out; on the host, crash-states.py
# replays the log onto fresh copies of the disk the guest started from, at every crash point
# (CRASH_POINTS: all, or that many spread over the ingest; 16 in `./dev test`) and CRASH_BETWEEN
# (4) states between them
# (a random subset of the writes after a crash point: what a disk's volatile cache may have kept),
# and on each: mount, camdock starts and recovers, verify, every clip on record present and whole
# and stored once, nothing lost at a later point, and after a re-dock every clip stored once. CRASH_BINARY: a camdock to ingest with instead of
# the installed one (a broken variant, to see the replay fail). CRASH_IMMUTABLE=0: the service
# without CAP_LINUX_IMMUTABLE, as on a store that cannot take the flag: setting it makes ext4 write
# the file's dirty pages and wait, which would make even a clip never fsynced durable in time.
scenario_crash() {
  put_card crash
  local why=() binary=${CRASH_BINARY:-} no_immutable
  [[ ${CRASH_IMMUTABLE:-1} == 1 ]] || no_immutable=1
  truncate -s 64M "$CARDS/crash-base.img"
  mkfs.ext4 -q -F -b 4096 -m 0 -E lazy_itable_init=0,lazy_journal_init=0 "$CARDS/crash-base.img"
  rm -f "$CARDS/crash-log.img"
  [[ -z $binary ]] || cp "$binary" "$VM_SHARE/camdock-variant"
  gsh "set -e; cp /mnt/share/cards/crash-base.img /var/lib/station/crash-data.img
       rm -f /var/lib/station/crash-log.img; truncate -s 512M /var/lib/station/crash-log.img
       data=\$(losetup -f --show /var/lib/station/crash-data.img); log=\$(losetup -f --show /var/lib/station/crash-log.img)
       modprobe dm-log-writes
       dmsetup create crashlog --table \"0 \$(blockdev --getsz \$data) log-writes \$data \$log\"
       mkdir -p /srv/crash; mount /dev/mapper/crashlog /srv/crash
       ${binary:+cp /usr/bin/camdock /var/lib/station/camdock.installed; cp --remove-destination /mnt/share/camdock-variant /usr/bin/camdock}
       ${no_immutable:+mkdir -p /etc/systemd/system/camdock.service.d; printf '[Service]\\nAmbientCapabilities=\\n' >/etc/systemd/system/camdock.service.d/no-immutable.conf}
       station store-on /srv/crash/camdock
       until [[ -f /srv/crash/camdock/status.json ]]; do sleep 0.1; done; sync; dmsetup message crashlog 0 mark docked" >>"$LOG" 2>&1 || why+=("could not set up the logged disk")
  station dock crash /var/lib/station/crash.img 1048576 5800001 1 >/dev/null
  station wait clip-stored "$(wc -l <"$CARDS/crash.sums")" 5800001 300 && station wait health-read 1 5800001 60 || why+=("the ingest did not finish")
  station pull crash >/dev/null; station wait camera-undocked 1 5800001 30 || true
  gsh "set -e; rm -f /etc/systemd/system/camdock.service.d/no-immutable.conf; station store-back; umount /srv/crash; dmsetup remove crashlog
       for d in \$(losetup -n -O NAME -j /var/lib/station/crash-data.img) \$(losetup -n -O NAME -j /var/lib/station/crash-log.img); do losetup -d \$d; done
       ${binary:+mv /var/lib/station/camdock.installed /usr/bin/camdock; systemctl restart camdock}
       cp --sparse=always /var/lib/station/crash-log.img /mnt/share/cards/crash-log.img
       rm /var/lib/station/crash-log.img /var/lib/station/crash-data.img" >>"$LOG" 2>&1 || why+=("could not bring the log out")
  local states
  states=$(python3 "$here/crash-states.py" --log "$CARDS/crash-log.img" --base "$CARDS/crash-base.img" \
    --sums "$CARDS/crash.sums" --card "$CARDS/crash.files" --camdock "$CAMDOCK" --station-toml "$repo/systemd/camdock.toml" \
    --from-mark docked --points "$CRASH_POINTS" --between "$CRASH_BETWEEN" 2>&1) || why+=("inconsistent crash states")
  note "$states"
  # Kept when a state failed, to replay again by hand (crash-states.py --verbose).
  ((${#why[@]})) || rm -f "$CARDS/crash-log.img" "$CARDS/crash-base.img"
  if [[ -n $binary ]]; then
    # The broken variant: the replay must find it out.
    if [[ ${why[*]} == "inconsistent crash states" ]]; then pass crash-variant "$(basename "$binary") ingesting, the replay caught it: $(grep -m1 '^FAIL' <<<"$states"); $(tail -1 <<<"$states")"
    else fail crash-variant "$(basename "$binary") ingesting: ${why[*]:-every state consistent, the replay did not catch it}: $(tail -1 <<<"$states")"; fi
  elif ((${#why[@]} == 0)); then pass crash-states "one dock's ingest under dm-log-writes, replayed: $(tail -1 <<<"$states")"
  else fail crash-states "${why[*]}: $(grep -m3 '^FAIL' <<<"$states" | tr '\n' ' ')$(tail -1 <<<"$states")"; fi
}

# --- the run ------------------------------------------------------------------------------------
[[ -x $CAMDOCK ]] || { echo "station: no $CAMDOCK: cargo build --release first" >&2; exit 2; }
# Where the bed's time goes, in the closing INFO line: the fixed costs, the boot, each scenario.
TIMES=()
timed() { local name=$1 t=$SECONDS; shift; "$@"; TIMES+=("$name $((SECONDS - t))s"); }
STATION_TZ=$(sed -n 's/^timezone *= *"\(.*\)".*/\1/p' "$repo/systemd/camdock.toml")
mkdir -p "$CARDS"
t_fixed=$SECONDS
deb=$("$here/deb.sh")
TIMES+=("deb $((SECONDS - t_fixed))s")
timed image "$here/image.sh" >/dev/null
"$here/image.sh" --check-deb "$deb"
t_cards=$SECONDS
cp "$deb" "$here/gadget.sh" "$here/guest.sh" "$here/amba-camera.py" "$VM_SHARE/"
make_card fat32 a 5100001 --clips 3
make_card fat32 fast 5200002 --clips 2
make_card fat32 four0 5300000 --clips 2
make_card fat32-super four1 5300001 --clips 2
make_card exfat four2 5300002 --clips 2
make_card exfat-super four3 5300003 --clips 2
BIG_MB=96 make_card fat32 big 5400004 --clips 2
make_card fat32 vendor 4255001 --clips 2
make_card fat32 dirty 5700001 --clips 1
BIG_MB=30 make_card fat32 full0 5600000 --clips 1
BIG_MB=30 make_card fat32 full1 5600001 --clips 1
KEEP_FILES=1 BIG_MB=10 make_card fat32 crash 5800001 --clips 2
if [[ " ${ONLY:-} ${SCENARIOS_EXTRA:-} " == *" shift "* ]]; then
  for i in {0..7}; do
    case $i in 1 | 5 | 3) BIG_MB=30 ;; 6) BIG_MB=20 ;; *) BIG_MB= ;; esac
    BIG_MB=$BIG_MB make_card "${SHIFT_TYPES[$i]}" "shift$i" "590000$i" --clips $((2 + i % 2))
  done
fi
TIMES+=("cards $((SECONDS - t_cards))s")

LAT_DOCK=() LAT_PULL=() CUT_POINTS=() RESTARTS_BEFORE_CUTS=0 RESTARTS_UNKNOWN=0 TIMESET_AFTER_CUTS=0
timed boot+install boot_and_install "$deb"
for s in ${ONLY:-service dock undock dirty clock four vendor twopull pulls diskfull crash power ${SCENARIOS_EXTRA:-}}; do timed "$s" "scenario_$s"; done
if h=$(station healthy) && ((RESTARTS_BEFORE_CUTS == 0 && RESTARTS_UNKNOWN == 0)); then
  pass service-after "camdock.service $h since the last boot, and 0 automatic restarts in the boots before each power cut"
else fail service-after "$h since the last boot; automatic restarts before the power cuts: $RESTARTS_BEFORE_CUTS$( ((RESTARTS_UNKNOWN)) && echo ' (some boots unread)')"; fi
say "$(printf 'INFO  %-16s %s' seconds "${TIMES[*]}")"
say "$(printf 'INFO  %-16s %s' latency "$(tr a-z A-Z <"$VM_RUN/accel"): dock→first byte ${LAT_DOCK[*]} ms; pull→camera-undocked ${LAT_PULL[*]} ms; boot $(cat "$VM_RUN/boot_seconds") s")"
[[ ${KEEP:-0} == 1 ]] && exit "$FAILED"
vm_stop
exit "$FAILED"
