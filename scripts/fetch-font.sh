#!/usr/bin/env bash
# Puts the font the benches' charts are drawn with at
# clients/assets/fonts/DejaVuSans.ttf, with its licence beside it, from
# Debian's fonts-dejavu-core package (apt-get download; dpkg-deb -x), so the
# charts do not depend on the fonts a machine happens to have.
#   bash scripts/fetch-font.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dest=$root/clients/assets/fonts
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
apt-get download fonts-dejavu-core >/dev/null
dpkg-deb -x fonts-dejavu-core_*.deb unpacked
mkdir -p "$dest"
cp unpacked/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf "$dest/DejaVuSans.ttf"
cp unpacked/usr/share/doc/fonts-dejavu-core/copyright "$dest/LICENSE"
echo "$dest/DejaVuSans.ttf"
