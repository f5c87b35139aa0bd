#!/usr/bin/env bash
# Runs every cargo-fuzz target in fuzz/ for SECONDS each (default 60).
#
#   scripts/fuzz.sh [SECONDS]
#
# Needs a nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`);
# without either it prints one line saying why and exits 0. Each target
# starts from its committed seeds (fuzz/seeds/TARGET) plus what earlier runs
# kept (fuzz/corpus/TARGET, not committed), with its dictionary
# (fuzz/dict/TARGET.dict) when there is one. A crash stops the run with a
# non-zero status; libFuzzer prints the input it kept under
# fuzz/artifacts/TARGET/, which `cargo +nightly fuzz run TARGET FILE` replays.
#
# Targets build without a sanitizer (the herd forbids unsafe code, so a
# panic or a failed assertion is what there is to find, and builds and runs
# are faster) and with debug assertions and overflow checks on.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-60}"
case "$seconds" in
  '' | *[!0-9]* | 0)
    echo "usage: scripts/fuzz.sh [SECONDS]  (a whole number of seconds per target, at least 1)" >&2
    exit 2
    ;;
esac

if ! rustup toolchain list 2>/dev/null | grep '^nightly' >/dev/null; then
  echo "fuzz: skipped: no nightly toolchain (rustup toolchain install nightly)"
  exit 0
fi
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
  echo "fuzz: skipped: cargo-fuzz is not installed (cargo install cargo-fuzz)"
  exit 0
fi

build_flags=(--sanitizer none --debug-assertions)
echo "== fuzz: building the targets"
cargo +nightly fuzz build "${build_flags[@]}"
for target in $(cargo +nightly fuzz list); do
  corpus="fuzz/corpus/$target"
  mkdir -p "$corpus"
  libfuzzer=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048)
  if [ -f "fuzz/dict/$target.dict" ]; then
    libfuzzer+=(-dict="fuzz/dict/$target.dict")
  fi
  echo "== fuzz: $target for ${seconds}s"
  cargo +nightly fuzz run "${build_flags[@]}" "$target" "$corpus" "fuzz/seeds/$target" -- "${libfuzzer[@]}"
done
echo "== fuzz: every target ran ${seconds}s without a crash"
