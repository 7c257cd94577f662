#!/usr/bin/env bash
# camdock's .deb, from the existing release binary (never builds it): cargo deb --no-build, with
# the [package.metadata.deb] of Cargo.toml. Rebuilt only when something it packages is newer.
#
#   tools/station/deb.sh        prints target/station/deb/camdock_<version>_amd64.deb
#
# The bed's package is compressed fast (cargo deb --fast: 9 s here, against 44 s for xz at its
# default level, for a .deb of 9.2 MB instead of 8.0 MB); DEB_FAST=0 makes the smaller one to ship.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
out=${STATION_DIR:-$repo/target/station}
bin=$repo/target/release/camdock
[[ -x $bin ]] || { echo "deb: no $bin: build it first (cargo build --release)" >&2; exit 1; }

deb=$(ls "$out"/deb/camdock_*.deb 2>/dev/null | head -1 || true)
# A package cut short (a run stopped while cargo deb wrote it) is made again, not installed.
[[ -z $deb ]] || dpkg-deb --fsys-tarfile "$deb" >/dev/null 2>&1 || { rm -f "$deb"; deb=; }
if [[ -z $deb || -n $(find "$bin" "$repo/Cargo.toml" "$repo/README.md" "$repo/udev" "$repo/systemd" \
  "$here/deb" -newer "$deb" -print -quit) ]]; then
  command -v cargo-deb >/dev/null || cargo install --locked --quiet cargo-deb@3.8.0
  # cargo-deb's scratch (the split-off debug info, 140 MB a build) goes under target/station too.
  rm -rf "$out/cargo-deb"
  fast=(); [[ ${DEB_FAST:-1} == 1 ]] && fast=(--fast)
  (cd "$repo" && CARGO_BUILD_BUILD_DIR=$out/cargo-deb cargo deb --no-build "${fast[@]}" -o "$out/deb/" >/dev/null)
  deb=$(ls "$out"/deb/camdock_*.deb | head -1)
fi
echo "$deb"
