#!/usr/bin/env bash
# Runs the fuzz targets of fuzz/ with cargo-fuzz (libFuzzer), each for SECONDS (default
# 300: ten minutes for both), and prints what libFuzzer reports (executions, time,
# crashes). A crash leaves its input in fuzz/artifacts/<target>/ and fails the script.
#
#   scripts/fuzz.sh [SECONDS]
#
# cargo-fuzz needs a nightly compiler's flags; this machine has one stable toolchain,
# so RUSTC_BOOTSTRAP=1 lets it use them. cargo-fuzz is installed with cargo on the first
# run. Not part of the test command (which runs the targets over their seed corpora in
# `cargo test`: src/server/fuzzing.rs).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/toolchain.sh"
use_toolchain
cd "$ROOT/fuzz"
seconds="${1:-300}"
command -v cargo-fuzz >/dev/null || cargo install --locked cargo-fuzz
export RUSTC_BOOTSTRAP=1
for target in client_frame hub_session; do
    mkdir -p "corpus/$target"
    # The seed corpus stays as committed: new inputs go to a scratch copy.
    work="$(mktemp -d)"
    cp -r "corpus/$target/." "$work/"
    echo "== $target, $seconds s"
    cargo fuzz run --sanitizer none "$target" "$work" -- -max_total_time="$seconds" -rss_limit_mb=4096 2>&1 |
        grep -E '^(#[0-9]+ +DONE|Done|==[0-9]+==|SUMMARY|.*panicked|INFO: Running with|stat::)' || true
    status=${PIPESTATUS[0]}
    rm -rf "$work"
    [ "$status" -eq 0 ] || { echo "$target: libFuzzer found a crash (fuzz/artifacts/$target/)"; exit 1; }
done
