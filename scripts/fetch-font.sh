#!/usr/bin/env bash
# Fetches the font the charts are drawn with (clients/assets/fonts/), from
# Debian's fonts-dejavu-core package, so a chart's text looks the same on every
# machine and no system font is needed at run time.
#
#   scripts/fetch-font.sh            # writes clients/assets/fonts/DejaVuSans.ttf and LICENSE
#
# Needs apt-get and dpkg-deb (Debian or Ubuntu). The font is committed, so a
# build never runs this; it records where the file came from and refreshes it.
set -euo pipefail
cd "$(dirname "$0")/.."
out=clients/assets/fonts
package=fonts-dejavu-core
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

(cd "$work" && apt-get download -o APT::Sandbox::User=root "$package" >/dev/null) || {
  echo "fetch-font: 'apt-get download $package' failed; run 'apt-get update' first" >&2
  exit 1
}
deb=$(ls "$work"/"$package"_*.deb)
dpkg-deb -x "$deb" "$work/root"
mkdir -p "$out"
cp "$work/root/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf" "$out/DejaVuSans.ttf"
{
  echo "DejaVuSans.ttf comes from the Debian package $(basename "$deb" .deb | sed 's/_/ /;s/_.*//')"
  echo "(written by scripts/fetch-font.sh). Its licence, from the package's copyright file:"
  echo
  cat "$work/root/usr/share/doc/$package/copyright"
} >"$out/LICENSE"
echo "fetch-font: wrote $out/DejaVuSans.ttf ($(wc -c <"$out/DejaVuSans.ttf") bytes) and $out/LICENSE from $(basename "$deb")"
