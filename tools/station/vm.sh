#!/usr/bin/env bash
# The station VM: the guest of image.sh under QEMU, driven from the host. A library and a CLI.
#
#   source tools/station/vm.sh          then call the vm_* functions below, or:
#   tools/station/vm.sh start            boot a clean guest (fresh overlay on the cached image), wait
#   tools/station/vm.sh ssh CMD...       run CMD in the guest as root: its stdout, stderr, exit code
#   tools/station/vm.sh bash [ARGS] <SCRIPT  run a bash script (stdin) in the guest
#   tools/station/vm.sh put FILE [NAME]  copy FILE into the share; prints its path in the guest
#   tools/station/vm.sh reset            hard reset (QMP system_reset): guest RAM and page cache lost,
#                                        the disk keeps what QEMU had written; waits for the boot
#   tools/station/vm.sh powercut         SIGKILL QEMU, start it again on the same disk; waits
#   tools/station/vm.sh stop | status | console (attach to the serial port: Ctrl-] to leave)
#
# Settings (environment): VM_ACCEL=auto|kvm|tcg (auto probes KVM once: a kernel that boots within
# 20 s), VM_MEM=2048 (MiB), VM_CPUS=2, VM_SSH_PORT=10022, STATION_DIR=target/station,
# STATION_CACHE=~/.cache/camdock/station (image, QEMU, ssh key, accel verdict, big clips).
# Files: $STATION_DIR/run/ (overlay disk, QMP and serial sockets, console.log, pid);
# $STATION_DIR/share/ is the guest's /mnt/share (9p, read-write). The guest reaches nothing: QEMU's
# user-mode network with restrict=on, only the host's 127.0.0.1:$VM_SSH_PORT → guest:22 forward.
set -euo pipefail

VM_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
VM_OUT=${STATION_DIR:-$(cd "$VM_HERE/../.." && pwd)/target/station}
VM_RUN=${VM_RUN:-$VM_OUT/run}
VM_SHARE=${VM_SHARE:-$VM_OUT/share}
# The fixed costs, paid once per machine and kept outside the clone: the guest image (keyed by
# what made it), the unpacked QEMU, the host's ssh key into the guest, the KVM/TCG verdict, the
# big real clips (run.sh). A fresh machine builds them itself.
VM_CACHE=${STATION_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/camdock/station}
VM_MEM=${VM_MEM:-2048}
VM_CPUS=${VM_CPUS:-2}
VM_SSH_PORT=${VM_SSH_PORT:-10022}

vm_log() { echo "vm: $*" >&2; }

# QEMU: the host's if it has one; else Debian bookworm's qemu-system-x86 unpacked under
# $VM_CACHE/qemu. (Installing it with apt would remove the host's backported qemu-utils, so only its
# libraries, SeaBIOS and iPXE are installed, and the three qemu-system debs are unpacked.)
vm_qemu() {
  if command -v qemu-system-x86_64 >/dev/null; then QEMU=(qemu-system-x86_64); return; fi
  local root=$VM_CACHE/qemu/root
  if [[ ! -x $root/usr/bin/qemu-system-x86_64 ]]; then
    # All of it to stderr: callers read vm_accel's answer from stdout.
    vm_unpack_qemu "$root" >&2
  fi
  # Its TCG accelerator and devices are modules; firmware comes from the seabios/ipxe-qemu packages.
  export QEMU_MODULE_DIR=$root/usr/lib/x86_64-linux-gnu/qemu
  QEMU=("$root/usr/bin/qemu-system-x86_64" -L "$root/usr/share/qemu" -L /usr/share/seabios -L /usr/lib/ipxe/qemu)
}

vm_unpack_qemu() {
  local root=$1
  vm_log "unpacking Debian's qemu-system-x86 under $root"
  local pkgs=(qemu-system-x86 qemu-system-common qemu-system-data) deps
  apt-get update -qq
  deps=$(apt-cache depends --important "${pkgs[@]}" | awk '/Depends:/ && $2 !~ /^(<|qemu-)/ {print $2}' | sort -u)
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $deps >/dev/null
  local debs=$VM_CACHE/qemu/debs
  rm -rf "$debs" "$root.tmp" && mkdir -p "$debs"
  (cd "$debs" && apt-get download -q "${pkgs[@]}" 2>/dev/null)
  # Unpacked aside, then moved into place: a run cut short never leaves half a QEMU in the cache.
  for d in "$debs"/*.deb; do dpkg -x "$d" "$root.tmp"; done
  rm -rf "$root" && mv "$root.tmp" "$root"
}

vm_image() { "$VM_HERE/image.sh"; }

# KVM or TCG. /dev/kvm may exist and still not run a stock kernel (this workplace's host exposes
# PVM, a paravirtual KVM: a Debian kernel hangs there), so the probe boots the guest's kernel with
# no root filesystem and waits for its panic. The verdict is cached in $VM_CACHE/accel.
vm_accel() {
  if [[ ${VM_ACCEL:-auto} != auto ]]; then echo "$VM_ACCEL"; return; fi
  if [[ ! -f $VM_CACHE/accel ]]; then
    local accel=tcg img; img=$(vm_image); vm_qemu
    if [[ -w /dev/kvm ]]; then
      timeout 20 "${QEMU[@]}" -accel kvm -cpu host -m 256 -display none -nodefaults -serial stdio \
        -no-reboot -kernel "$img/vmlinuz" -append "console=ttyS0 panic=-1" >"$VM_CACHE/accel-probe.log" 2>&1 || true
      grep -q 'Kernel panic' "$VM_CACHE/accel-probe.log" && accel=kvm
    fi
    echo "$accel" >"$VM_CACHE/accel"
  fi
  cat "$VM_CACHE/accel"
}

# Boots the guest. A fresh overlay (qcow2 over the image's raw disk) unless VM_KEEP_DISK=1.
vm_start() {
  vm_running && { vm_log "already running (pid $(cat "$VM_RUN/qemu.pid"))"; return 0; }
  local img accel cpu; img=$(vm_image); accel=$(vm_accel); vm_qemu
  [[ $accel == kvm ]] && cpu=host || cpu=max
  mkdir -p "$VM_RUN" "$VM_SHARE"
  if [[ ${VM_KEEP_DISK:-0} != 1 || ! -f $VM_RUN/root.qcow2 ]]; then
    rm -f "$VM_RUN/root.qcow2"
    qemu-img create -q -f qcow2 -b "$(readlink -f "$img/rootfs.raw")" -F raw "$VM_RUN/root.qcow2"
  fi
  rm -f "$VM_RUN/qmp.sock" "$VM_RUN/serial.sock"
  date +%s.%N >"$VM_RUN/started_at"
  echo "$accel" >"$VM_RUN/accel"
  vm_log "starting the guest ($accel, ${VM_CPUS} CPUs, ${VM_MEM} MiB, ssh on 127.0.0.1:$VM_SSH_PORT)"
  "${QEMU[@]}" -name camdock-station -machine pc,accel="$accel" -cpu "$cpu" -smp "$VM_CPUS" -m "$VM_MEM" \
    -nodefaults -no-user-config -display none \
    -kernel "$img/vmlinuz" -initrd "$img/initrd.img" \
    -append "root=/dev/vda rw console=ttyS0,115200 quiet" \
    -drive file="$VM_RUN/root.qcow2",format=qcow2,if=virtio,cache=writeback \
    -virtfs local,path="$VM_SHARE",mount_tag=share,security_model=none,id=share \
    -netdev user,id=net0,restrict=on,hostfwd=tcp:127.0.0.1:"$VM_SSH_PORT"-:22 \
    -device virtio-net-pci,netdev=net0 -device virtio-rng-pci \
    -chardev socket,id=ser0,path="$VM_RUN/serial.sock",server=on,wait=off,logfile="$VM_RUN/console.log" \
    -serial chardev:ser0 \
    -qmp unix:"$VM_RUN/qmp.sock",server=on,wait=off \
    -pidfile "$VM_RUN/qemu.pid" -daemonize
  vm_wait_booted
}

vm_running() { [[ -f $VM_RUN/qemu.pid ]] && kill -0 "$(cat "$VM_RUN/qemu.pid")" 2>/dev/null; }

# Runs a command in the guest as root (stdin, stdout, stderr and exit code pass through; 255 is
# ssh's own failure).
vm_ssh() {
  ssh -q -i "$VM_CACHE/ssh/id_ed25519" -p "$VM_SSH_PORT" -o BatchMode=yes -o ConnectTimeout=10 \
    -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR root@127.0.0.1 "$@"
}

# Runs a bash script read from stdin in the guest, with ARGS as $1...: vm_bash ARGS... <<'EOF'.
# The script travels on the command line, so commands in it never read the rest of it as input.
vm_bash() {
  local script; script=$(cat)
  vm_ssh "bash -c $(printf '%q' "$script") vm_bash $(printf '%q ' "$@")" </dev/null
}

# Waits (up to VM_BOOT_TIMEOUT=600 s) until ssh answers and systemd has finished starting;
# prints the boot time from the start (or reset) of the guest.
vm_wait_booted() {
  local deadline=$((SECONDS + ${VM_BOOT_TIMEOUT:-600})) state
  until state=$(vm_ssh systemctl is-system-running --wait 2>/dev/null); [[ $state =~ ^(running|degraded)$ ]]; do
    vm_running || { vm_log "QEMU exited; see $VM_RUN/console.log"; return 1; }
    ((SECONDS < deadline)) || { vm_log "no boot within ${VM_BOOT_TIMEOUT:-600} s; see $VM_RUN/console.log"; return 1; }
    sleep 2
  done
  local t; t=$(awk -v a="$(cat "$VM_RUN/started_at")" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}')
  echo "$t" >"$VM_RUN/boot_seconds"
  vm_log "booted in ${t} s ($(cat "$VM_RUN/accel"), system $state)"
  vm_ssh mountpoint -q /mnt/share || vm_log "warning: /mnt/share (the share) is not mounted in the guest"
}

# One QMP command, e.g. vm_qmp system_reset; prints QEMU's answer.
vm_qmp() {
  python3 - "$VM_RUN/qmp.sock" "$1" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); f = s.makefile("rw")
def call(cmd):
    f.write(json.dumps({"execute": cmd}) + "\n"); f.flush()
    while "event" in (reply := json.loads(f.readline())): pass
    return reply
json.loads(f.readline())  # the greeting
call("qmp_capabilities"); print(json.dumps(call(sys.argv[2])))
PY
}

# A hard reset: the guest loses its RAM (page cache included) at once, like a power cut; the
# virtual disk keeps every write QEMU had passed to it.
vm_reset() {
  date +%s.%N >"$VM_RUN/started_at"
  vm_qmp system_reset >/dev/null
  sleep 3   # let the old sshd vanish before polling
  vm_wait_booted
}

# A power cut of the whole QEMU process (SIGKILL), then a cold start on the same overlay.
vm_powercut() {
  vm_running && kill -KILL "$(cat "$VM_RUN/qemu.pid")"
  while vm_running; do sleep 0.2; done
  VM_KEEP_DISK=1 vm_start
}

vm_stop() {
  vm_running || return 0
  vm_ssh poweroff >/dev/null 2>&1 || true
  local i; for ((i = 0; i < 60; i++)); do vm_running || break; sleep 1; done
  vm_running && kill -KILL "$(cat "$VM_RUN/qemu.pid")"
  rm -f "$VM_RUN/qemu.pid"
}

# Copies a file into the share; prints where the guest sees it.
vm_put() {
  mkdir -p "$VM_SHARE"
  cp "$1" "$VM_SHARE/${2:-$(basename "$1")}"
  echo "/mnt/share/${2:-$(basename "$1")}"
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  cmd=${1:-}; shift || true
  case $cmd in
    start) vm_start ;;
    ssh) vm_ssh "$@" ;;
    bash) vm_bash "$@" ;;
    put) vm_put "$@" ;;
    reset) vm_reset ;;
    powercut) vm_powercut ;;
    stop) vm_stop ;;
    status) if vm_running; then echo "running ($(cat "$VM_RUN/accel"), pid $(cat "$VM_RUN/qemu.pid"))"; else echo stopped; exit 1; fi ;;
    console) command -v socat >/dev/null || apt-get install -y -qq socat >/dev/null
      exec socat -,rawer,escape=0x1d UNIX-CONNECT:"$VM_RUN/serial.sock" ;;
    accel) vm_accel ;;
    *) sed -n '2,20p' "$0"; exit 2 ;;
  esac
fi
