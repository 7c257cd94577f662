#!/usr/bin/env bash
# Body cameras as real USB devices, INSIDE the station guest: the kernel's USB gadget framework
# (libcomposite over configfs) with one mass_storage LUN backed by a card image, on dummy_hcd's
# emulated controllers. Each dummy UDC is wired to its own emulated host controller
# (dummy_udc.N ↔ dummy_hcd.N, one root port each): one UDC = one dock port. Binding the gadget to a
# UDC is docking the camera; unbinding is pulling it out (the host side sees a USB disconnect).
#
#   gadget.sh make NAME IMAGE SERIAL VID PID [ro]   configure camera NAME (not docked yet);
#                                                   VID/PID in hex (4255 or 0x4255)
#   gadget.sh dock NAME PORT                        bind NAME to dummy_udc.PORT (PORT 0..3)
#   gadget.sh pull NAME                             unbind NAME (the camera leaves the dock)
#   gadget.sh remove NAME                           pull and delete NAME's configuration
#   gadget.sh block PORT [TIMEOUT]                  wait for the disk on PORT; print /dev/sdX
#   gadget.sh list                                  cameras, their ports and disks
#   gadget.sh amba NAME IMAGE SERIAL PORT [DEVICE_ID]
#                                   a vendor-protocol (amba-usb) camera 4255:0001 on dummy_udc.PORT:
#                                   one vendor interface served by amba-camera.py (FunctionFS) until
#                                   the station sends @ATH, then the card IMAGE as mass storage on
#                                   the same port. DEVICE_ID (the @Gdv answer) defaults to SERIAL.
#                                   Frames: /run/amba-camera/NAME.log; clock set: NAME.clock
#   gadget.sh amba-stop NAME                        stop the emulator, pull and delete NAME
#
# Setting: GADGET_PORTS=4 (dummy_hcd's `num` module parameter: how many controllers, max 32).
# INQUIRY="Vendor  Product         Rev " (8+16+4 chars) sets the SCSI inquiry string the LUN reports.
set -euo pipefail
CFG=/sys/kernel/config/usb_gadget

setup() {
  [[ -d /sys/class/udc/dummy_udc.0 ]] || modprobe dummy_hcd num="${GADGET_PORTS:-4}"
  modprobe libcomposite
  mountpoint -q /sys/kernel/config || mount -t configfs none /sys/kernel/config
}

hex() { printf '0x%04x' "$((16#${1#0x}))"; }

make_gadget() {
  local name=$1 image=$2 serial=$3 vid=$4 pid=$5 ro=0 g=$CFG/$1
  [[ ${6:-} == ro ]] && ro=1
  [[ -f $image || -b $image ]] || { echo "gadget: no image $image" >&2; exit 1; }
  [[ ! -e $g ]] || { echo "gadget: $name exists" >&2; exit 1; }
  mkdir "$g"
  hex "$vid" >"$g/idVendor"
  hex "$pid" >"$g/idProduct"
  echo 0x0100 >"$g/bcdDevice"
  echo 0x0200 >"$g/bcdUSB"            # USB 2.0, like the cameras
  mkdir "$g/strings/0x409"
  echo "$serial" >"$g/strings/0x409/serialnumber"
  echo "camdock test bed" >"$g/strings/0x409/manufacturer"
  echo "Body camera $name" >"$g/strings/0x409/product"
  mkdir -p "$g/configs/c.1/strings/0x409" "$g/functions/mass_storage.0"
  echo "mass storage" >"$g/configs/c.1/strings/0x409/configuration"
  echo 250 >"$g/configs/c.1/MaxPower"
  local lun=$g/functions/mass_storage.0/lun.0
  echo 1 >"$lun/removable"
  echo "$ro" >"$lun/ro"                # before `file`: ro cannot change while a file is open
  [[ -z ${INQUIRY:-} ]] || echo "$INQUIRY" >"$lun/inquiry_string"
  readlink -f "$image" >"$lun/file"
  ln -s "$g/functions/mass_storage.0" "$g/configs/c.1/"
}

dock() {
  local udc=dummy_udc.$2
  [[ -e /sys/class/udc/$udc ]] || { echo "gadget: no $udc (ports: $(ls /sys/class/udc | xargs))" >&2; exit 1; }
  echo "$udc" >"$CFG/$1/UDC"
}

pull() { [[ -z $(cat "$CFG/$1/UDC") ]] || echo "" >"$CFG/$1/UDC"; }

remove() {
  local g=$CFG/$1 f
  pull "$1"
  for f in "$g"/configs/c.1/*; do [[ -L $f ]] && rm "$f"; done
  for f in "$g"/functions/*; do
    # A FunctionFS instance goes only once its filesystem is unmounted.
    [[ $f == */ffs.* ]] && { umount "$AMBA_RUN/${f##*/ffs.}.ffs" 2>/dev/null || true; rmdir "$AMBA_RUN/${f##*/ffs.}.ffs" 2>/dev/null || true; }
    rmdir "$f"
  done
  rmdir "$g/configs/c.1/strings/0x409" "$g/configs/c.1" "$g/strings/0x409" "$g"
}

# The disk behind port N: dummy_hcd.N's bus, its one device, its usb-storage SCSI host.
block_of() {
  local b
  for b in /sys/devices/platform/dummy_hcd."$1"/usb*/*/*/host*/target*/*/block/*; do
    [[ -e $b ]] && echo "/dev/${b##*/}"
  done
}

wait_block() {
  local deadline=$((SECONDS + ${2:-30})) dev
  until dev=$(block_of "$1") && [[ -n $dev && -b $dev ]]; do
    ((SECONDS < deadline)) || { echo "gadget: no disk on port $1" >&2; exit 1; }
    sleep 0.05
  done
  echo "$dev"
}

list() {
  local g udc port
  printf '%-12s %-6s %-14s %-10s %-9s %s\n' NAME PORT SERIAL VID:PID DISK IMAGE
  for g in "$CFG"/*/; do
    [[ -d $g ]] || continue
    g=${g%/}; udc=$(cat "$g/UDC"); port=${udc#dummy_udc.}
    local disk=-
    if [[ -n $(ls -d "$g"/configs/c.1/ffs.* 2>/dev/null) ]]; then disk=vendor   # amba, before @ATH
    elif [[ -n $udc ]]; then disk=$(block_of "$port"); fi
    printf '%-12s %-6s %-14s %-10s %-9s %s\n' "${g##*/}" "${port:--}" "$(cat "$g/strings/0x409/serialnumber")" \
      "$(cat "$g/idVendor"):$(cat "$g/idProduct")" "${disk:--}" \
      "$(cat "$g/functions/mass_storage.0/lun.0/file")"
  done
}

# --- vendor-protocol cameras (amba-camera.py) ------------------------------------------------------
AMBA_RUN=/run/amba-camera
# The emulator: beside this script (installed or in the tree), else AMBA_CAMERA.
AMBA_CAMERA=${AMBA_CAMERA:-$(dirname "$(readlink -f "$0")")/amba-camera.py}

amba() {
  local name=$1 image=$2 serial=$3 port=$4 id=${5:-$3} g=$CFG/$1
  local udc=dummy_udc.$port ffs=$AMBA_RUN/$1.ffs
  [[ -f $AMBA_CAMERA ]] || { echo "gadget: no $AMBA_CAMERA" >&2; exit 1; }
  [[ -e /sys/class/udc/$udc ]] || { echo "gadget: no $udc (ports: $(ls /sys/class/udc | xargs))" >&2; exit 1; }
  # The storage it becomes (functions/mass_storage.0, not linked yet: `list` shows its image).
  make_gadget "$name" "$image" "$serial" 4255 0001
  # A half-made camera is taken apart again.
  trap 'echo "gadget: amba $name failed; see $AMBA_RUN/$name.out" >&2; amba_stop "$name"' ERR
  rm "$g/configs/c.1/mass_storage.0"
  echo "vendor interface" >"$g/configs/c.1/strings/0x409/configuration"
  mkdir "$g/functions/ffs.$name"                   # loads usb_f_fs
  ln -s "$g/functions/ffs.$name" "$g/configs/c.1/"
  mkdir -p "$ffs" && mount -t functionfs "$name" "$ffs"
  rm -f "$AMBA_RUN/$name".{log,clock,out}
  setsid python3 "$AMBA_CAMERA" "$name" "$g" "$ffs" "$id" "$AMBA_RUN" </dev/null >"$AMBA_RUN/$name.out" 2>&1 &
  echo $! >"$AMBA_RUN/$name.pid"
  # The gadget can bind only once every function has its descriptors: ep1/ep2 exist then.
  local deadline=$((SECONDS + 20))
  until [[ -e $ffs/ep2 ]]; do
    kill -0 "$(cat "$AMBA_RUN/$name.pid")" 2>/dev/null || { cat "$AMBA_RUN/$name.out" >&2; false; }
    ((SECONDS < deadline)) || { echo "gadget: no $ffs/ep2 after 20 s" >&2; false; }
    sleep 0.05
  done
  echo "$udc" >"$g/UDC"
  trap - ERR
}

amba_stop() {
  local name=$1 pid
  pid=$(cat "$AMBA_RUN/$name.pid" 2>/dev/null) || true
  if [[ -n $pid ]] && kill "$pid" 2>/dev/null; then
    while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
  fi
  rm -f "$AMBA_RUN/$name.pid"
  [[ ! -d $CFG/$name ]] || remove "$name"
}

setup
cmd=${1:-}; shift || true
case $cmd in
  make) make_gadget "$@" ;;
  dock) dock "$@" ;;
  pull) pull "$@" ;;
  remove) remove "$@" ;;
  block) wait_block "$@" ;;
  list) list ;;
  amba) mkdir -p "$AMBA_RUN"; amba "$@" ;;
  amba-stop) amba_stop "$@" ;;
  *) sed -n '2,24p' "$0"; exit 2 ;;
esac
