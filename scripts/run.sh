#!/usr/bin/env bash
# Sets the machine up if needed, builds the app (release) and serves it at
# http://127.0.0.1:3000 (listen_addr in Leptos.toml). Extra arguments go to
# `cargo leptos serve`.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/toolchain.sh"
"$ROOT/scripts/setup.sh"
use_toolchain
cd "$ROOT"
# --precompress: the site's files also as .br and .gz, sent to browsers that accept them.
exec cargo leptos serve --release --precompress "$@"
