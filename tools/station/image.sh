#!/usr/bin/env bash
# Builds the station's guest: a Debian 12 (bookworm) root filesystem made with mmdebstrap, packed
# into a raw ext4 image (mkfs.ext4 -d: no loop mount), plus its vmlinuz and initrd for QEMU's
# direct kernel boot. Built once per hash of this script, the package list and the ssh key, under
# the machine's cache (STATION_CACHE, default ~/.cache/camdock/station: outside the clone, so a
# fresh clone on a machine that has built it skips it); later calls print the cached folder at once.
#
#   tools/station/image.sh                   builds if needed; prints the image folder
#                                            (rootfs.raw, vmlinuz, initrd.img, manifest)
#   tools/station/image.sh --check-deb DEB   lists the DEB's dependencies the image lacks (exit 1)
#
# The guest has no network, so `apt install ./camdock_*.deb` works there only if every dependency
# is already in the image: camdock's runtime libraries are in PACKAGES, and --check-deb tells
# (before booting) when a new one is missing.
#
# The guest: hostname camdock-station; root without a password on the serial console (autologin on
# ttyS0) and by key over ssh (target/station/ssh/id_ed25519); static address 10.0.2.15 on QEMU's
# user-mode network (only the host's port forward reaches it); apt timers masked; no
# systemd-timesyncd (there is no network to sync with: the clock comes from the host via kvm-clock
# and the RTC), so time-sync.target, which camdock.service waits for, is reached at once.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${STATION_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/camdock/station}

# What an admin's station has, plus the test bed's tools (sqlite3 for the ledger, python3 for the
# USB vendor-protocol emulator, usbutils to look at the gadgets, ssh for the host).
PACKAGES=(linux-image-amd64 initramfs-tools systemd systemd-sysv udev kmod dbus util-linux procps
  iproute2 openssh-server dosfstools exfatprogs sqlite3 python3 usbutils less tzdata)
# camdock's runtime libraries: the packages of its NEEDED entries (objdump -p target/release/camdock
# | grep NEEDED, then dpkg -S), i.e. what dpkg-shlibdeps puts in the .deb's Depends.
PACKAGES+=(libavformat59 libavcodec59 libavutil57 libusb-1.0-0 libgcc-s1 libc6)
SUITE=bookworm
MIRRORS=("deb http://deb.debian.org/debian bookworm main"
  "deb http://deb.debian.org/debian bookworm-updates main"
  "deb http://deb.debian.org/debian-security bookworm-security main")

# The host's key into the guest: generated once, part of the cache key.
mkdir -p "$out/ssh"
[[ -f $out/ssh/id_ed25519 ]] || ssh-keygen -q -t ed25519 -N '' -C camdock-station -f "$out/ssh/id_ed25519"

hash=$( { cat "$0"; printf '%s\n' "${PACKAGES[@]}" "${MIRRORS[@]}"; cat "$out/ssh/id_ed25519.pub"; } |
  sha256sum | cut -c1-16)
img=$out/image/$hash

if [[ ${1:-} == --check-deb ]]; then
  "$0" >/dev/null   # the image (and its manifest) first
  # "libavcodec59 (>= 7:5.1), libc6 (>= 2.34), a | b" -> libavcodec59 libc6 a (versions: the guest's
  # mirror is the host's, so they match)
  missing=$(dpkg-deb -f "$2" Depends | tr ',' '\n' | sed 's/|.*//; s/(.*)//; s/ //g' | grep . |
    while read -r p; do grep -q "^$p " "$img/manifest" || echo "$p"; done)
  [[ -z $missing ]] || { echo "image: $2 needs packages the image lacks (add to PACKAGES):" $missing >&2; exit 1; }
  exit 0
fi
if [[ -f $img/rootfs.raw ]]; then echo "$img"; exit 0; fi
# One build at a time (vm.sh calls this too); a second caller waits, then finds the image built.
exec 9>"$out/image.lock"
flock 9
if [[ -f $img/rootfs.raw ]]; then echo "$img"; exit 0; fi

command -v mmdebstrap >/dev/null || { apt-get update -qq; apt-get install -y -qq mmdebstrap >/dev/null; }
echo "image: building $img (${#PACKAGES[@]} packages; a few minutes)" >&2
rm -rf "$out/image" && mkdir -p "$img"   # one image at a time: an older hash is stale
rootfs=$img/rootfs
mmdebstrap --mode=root --variant=apt --aptopt='APT::Install-Recommends "false"' \
  --include="$(IFS=,; echo "${PACKAGES[*]}")" "$SUITE" "$rootfs" "${MIRRORS[@]}" >&2

# --- the guest's configuration -------------------------------------------------------------------
echo camdock-station >"$rootfs/etc/hostname"
printf '127.0.0.1 localhost\n127.0.1.1 camdock-station\n' >"$rootfs/etc/hosts"
cat >"$rootfs/etc/fstab" <<'EOF'
/dev/vda  /           ext4  rw,errors=remount-ro  0 1
# The host's folder target/station/share (vm.sh); nofail: a guest started without it still boots.
# Its transport module is loaded by systemd-modules-load: udev loads it too, but maybe too late.
share     /mnt/share  9p    trans=virtio,version=9p2000.L,msize=262144,nofail,x-systemd.after=systemd-modules-load.service  0 0
EOF
echo 9pnet_virtio >"$rootfs/etc/modules-load.d/station.conf"
mkdir -p "$rootfs/mnt/share"

# Root: no password on the console (autologin on the serial port), the host's key for ssh.
chroot "$rootfs" passwd -qd root
mkdir -p "$rootfs/etc/systemd/system/serial-getty@ttyS0.service.d"
cat >"$rootfs/etc/systemd/system/serial-getty@ttyS0.service.d/autologin.conf" <<'EOF'
[Service]
ExecStart=
ExecStart=-/sbin/agetty --autologin root --keep-baud 115200,57600,38400,9600 %I $TERM
EOF
install -d -m 700 "$rootfs/root/.ssh"
install -m 600 "$out/ssh/id_ed25519.pub" "$rootfs/root/.ssh/authorized_keys"
printf 'UseDNS no\nPermitRootLogin prohibit-password\n' >"$rootfs/etc/ssh/sshd_config.d/station.conf"

# Network: QEMU user-mode (slirp) with restrict=on; a static address so boot does not wait on DHCP.
cat >"$rootfs/etc/systemd/network/10-station.network" <<'EOF'
[Match]
Name=e*
[Network]
Address=10.0.2.15/24
EOF
chroot "$rootfs" systemctl enable -q systemd-networkd.service
# Nothing in the background that the host did not ask for: no apt timers, no waiting for a network.
chroot "$rootfs" systemctl mask -q apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer \
  fstrim.timer systemd-networkd-wait-online.service

# --- kernel, initrd, disk image ------------------------------------------------------------------
cp -L "$rootfs/vmlinuz" "$img/vmlinuz"
cp -L "$rootfs/initrd.img" "$img/initrd.img"
basename "$(readlink -f "$rootfs/vmlinuz")" >"$img/kernel-version"
printf '%s\n' "${PACKAGES[@]}" >"$img/packages"
chroot "$rootfs" dpkg-query -W -f='${Package} ${Version}\n' >"$img/manifest"
# 4 GiB sparse: room for the camdock store and a few card images.
mkfs.ext4 -q -F -L station-root -d "$rootfs" "$img/rootfs.raw.tmp" 4G
rm -rf "$rootfs"
mv "$img/rootfs.raw.tmp" "$img/rootfs.raw"
ln -sfn "$hash" "$out/image/current"
echo "$img"
