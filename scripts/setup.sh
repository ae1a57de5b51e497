#!/usr/bin/env bash
# Makes this machine ready to build and test the app: a Rust toolchain with a
# wasm32 standard library, cargo-leptos (no_downloads), the wasm-bindgen CLI
# matching Cargo.lock, wasm-opt (npm binaryen), Chromium and the npm packages.
# Idempotent: every step checks what is there first, so a second run takes seconds.
# Touches only toolchain locations (apt, the Rust sysroot, $CARGO_HOME) and this tree.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/toolchain.sh"

log() { printf '\033[1m[setup]\033[0m %s\n' "$*" >&2; }

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
APT_UPDATED=0
apt_install() {
    local missing=() p
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    log "apt-get install ${missing[*]}"
    if [ $APT_UPDATED -eq 0 ]; then
        $SUDO apt-get update -qq
        APT_UPDATED=1
    fi
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# 1. Rust with a wasm32 std: rustup's target where it can be added quickly,
#    otherwise std built from Debian's rust-web-src into Debian's sysroot.
#    Debian's Rust is installed either way: cargo-leptos needs rustc >= 1.96.
apt_install "${DEBIAN_RUST_PACKAGES[@]}"
if [ -z "$(wasm_toolchain)" ]; then
    if command -v rustup >/dev/null 2>&1 &&
        timeout "${RUSTUP_TARGET_TIMEOUT:-45}" rustup target add wasm32-unknown-unknown >/dev/null 2>&1; then
        log "wasm32 target added with rustup"
    else
        log "rustup cannot add wasm32-unknown-unknown here; building it from Debian's rust-web-src"
        scratch="$(mktemp -d)"
        trap 'rm -rf "$scratch"' EXIT
        mkdir -p "$scratch/src"
        printf '[package]\nname = "wasm_std_scratch"\nversion = "0.0.0"\nedition = "2021"\n[lib]\ncrate-type = ["cdylib"]\n' >"$scratch/Cargo.toml"
        : >"$scratch/src/lib.rs"
        (cd "$scratch" && PATH="/usr/bin:$PATH" RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1 CARGO_TARGET_DIR="$scratch/target" \
            /usr/bin/cargo build --release --target wasm32-unknown-unknown -Zbuild-std=std,panic_abort)
        dest="$(/usr/bin/rustc --print sysroot)/lib/rustlib/wasm32-unknown-unknown/lib"
        $SUDO mkdir -p "$dest"
        find "$scratch/target/wasm32-unknown-unknown/release/deps" -name 'lib*.rlib' ! -name 'libwasm_std_scratch*' \
            -exec $SUDO cp {} "$dest/" \;
        /usr/bin/rustc --version | $SUDO tee "$dest/.built-by" >/dev/null
    fi
    [ -n "$(wasm_toolchain)" ] || { log "no wasm32 standard library after set-up"; exit 1; }
fi
use_toolchain
log "toolchain: $(wasm_toolchain) ($(rustc --version))"

# 2. cargo-leptos built with no_downloads, so it takes its helpers from PATH.
#    Built by Debian's cargo (>= 1.96); LTO off keeps the 2-core build shorter.
if ! command -v cargo-leptos >/dev/null 2>&1 ||
    ! grep -q "\"cargo-leptos $CARGO_LEPTOS_VERSION [^\"]*\":{[^}]*\"features\":\[\"no_downloads\"\]" "$CARGO_HOME/.crates2.json" 2>/dev/null; then
    log "cargo install cargo-leptos $CARGO_LEPTOS_VERSION (no_downloads; ~30 min on 2 cores)"
    PATH="/usr/bin:$PATH" RUSTC=/usr/bin/rustc CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
        /usr/bin/cargo install --locked --features no_downloads cargo-leptos --version "$CARGO_LEPTOS_VERSION"
fi

# 3. wasm-bindgen CLI, same version as the crate pinned in Cargo.toml.
if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $WASM_BINDGEN_VERSION" ]; then
    log "cargo install wasm-bindgen-cli $WASM_BINDGEN_VERSION (~10 min)"
    # --locked fails for this crate (a pinned dependency left the registry).
    PATH="/usr/bin:$PATH" RUSTC=/usr/bin/rustc CARGO_PROFILE_RELEASE_LTO=false \
        /usr/bin/cargo install --force wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
fi

# 4. Chromium from Debian (Playwright's own browser download cannot work here).
apt_install chromium

# 5. npm packages: @playwright/test and binaryen (wasm-opt; Debian's 108 breaks the page).
stamp="$ROOT/end2end/node_modules/.lock-sha256"
want="$(sha256sum "$ROOT/end2end/package-lock.json" | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    log "npm ci in end2end/"
    (cd "$ROOT/end2end" && npm ci --no-audit --no-fund --loglevel=error)
    echo "$want" >"$stamp"
fi

log "ready: $(cargo leptos --version), $(wasm-bindgen --version), wasm-opt $(wasm-opt --version | head -n1), $(/usr/bin/chromium --version 2>/dev/null)"
