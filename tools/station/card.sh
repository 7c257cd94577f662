#!/usr/bin/env bash
# Camera card images, made on the host without mounting anything in the host's namespace.
#
#   card.sh TYPE IMAGE DIR [SIZE_MiB]            an image of TYPE holding DIR's files
#   card.sh camera TYPE IMAGE SERIAL [OPTS...]   the same with a camera written by
#                                                `camdock simulate-camera --serial SERIAL OPTS...`
# TYPE:
#   fat32        MBR, one FAT32 (LBA, type 0c) partition at 1 MiB: what cameras ship with
#   fat32-super  FAT32 on the whole device, no partition table ("superfloppy")
#   exfat        MBR, one exFAT (type 07) partition at 1 MiB
#   exfat-super  exFAT on the whole device
# SIZE_MiB defaults to the content plus 32 MiB, at least 64 (FAT32's minimum cluster count).
# CARD_TZ: the camera's time zone for DEVICE.TXT's clock (default: the shipped station.timezone).
# The card's clock is the host's time when it is made: dock soon, or pass --clock-offset.
#
# FAT: mkfs.vfat --offset + mtools (mcopy -i IMAGE@@OFFSET): the host kernel has no vfat driver.
# exFAT: mkfs.exfat and the FUSE driver (exfat-fuse) on a loop device over the partition, in a
# private mount namespace. exfat-fuse, run as root, wants a block device, not a file: hence the loop.
# Timestamps are kept (mcopy -m, cp --preserve=timestamps): clip names and mtimes are evidence.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
CAMDOCK=${CAMDOCK:-$here/../../target/release/camdock}
OFFSET_SECTORS=2048   # 1 MiB, where partitioning tools put the first partition

need() { command -v "$1" >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null; }

make_card() {
  local type=$1 image dir=$3 size=${4:-}
  image=$(realpath -m "$2")
  [[ -d $dir ]] || { echo "card: no directory $dir" >&2; exit 1; }
  if [[ -z $size ]]; then
    size=$(( $(du -sm "$dir" | cut -f1) + 32 ))
    ((size >= 64)) || size=64
  fi
  rm -f "$image"
  truncate -s "${size}M" "$image"
  local offset=0
  case $type in
    fat32 | exfat)
      need sfdisk fdisk
      local id=0c; [[ $type == exfat ]] && id=07
      echo "start=$OFFSET_SECTORS, type=$id" | sfdisk -q "$image"
      offset=$((OFFSET_SECTORS * 512)) ;;
    fat32-super | exfat-super) ;;
    *) echo "card: unknown type $type" >&2; exit 2 ;;
  esac
  case $type in
    fat32*)
      need mkfs.vfat dosfstools; need mcopy mtools
      mkfs.vfat -F 32 -n CAMERA --offset $((offset / 512)) "$image" >/dev/null
      # -s recursive, -p attributes, -m mtimes; skip_check: mtools is picky about some geometries.
      (cd "$dir" && MTOOLS_SKIP_CHECK=1 mcopy -s -p -m -i "$image@@$offset" ./* ::/) ;;
    exfat*)
      need mkfs.exfat exfatprogs; need mount.exfat-fuse exfat-fuse
      local mnt; mnt=$(mktemp -d)
      # One loop device over the filesystem's bytes (the partition, or the whole image).
      unshare --mount --propagation private bash -euc '
        dev=$(losetup -f --show --offset "$1" --sizelimit $(( $(stat -c %s "$2") - $1 )) "$2")
        trap "losetup -d $dev" EXIT
        mkfs.exfat -L CAMERA "$dev" >/dev/null
        mount.exfat-fuse "$dev" "$3" >/dev/null
        cp -r --preserve=timestamps "$4"/. "$3"/
        umount "$3"' _ "$offset" "$image" "$mnt" "$dir"
      rmdir "$mnt" ;;
  esac
  echo "$image"
}

if [[ ${1:-} == camera ]]; then
  shift
  type=$1 image=$2 serial=$3; shift 3
  tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
  # A camera keeps local time: DEVICE.TXT's clock and the FAT timestamps (mcopy) are written in
  # the process's time zone, and the station reads them in its own (station.timezone of the
  # shipped camdock.toml). Made in that zone, the card shows no false 8 h offset.
  tz=${CARD_TZ:-$(sed -n 's/^timezone *= *"\(.*\)".*/\1/p' "$here/../../systemd/camdock.toml")}
  export TZ=${tz:-UTC}
  "$CAMDOCK" simulate-camera "$tmp/card" --serial "$serial" "$@" >/dev/null
  make_card "$type" "$image" "$tmp/card"
elif (($# >= 3)); then
  make_card "$@"
else
  sed -n '2,18p' "$0"; exit 2
fi
