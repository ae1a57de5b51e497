# Sourced by the other scripts: picks the Rust toolchain that can build the
# WASM client and puts it, and the project's helper binaries, first on PATH.
# Sets nothing up itself (that is setup.sh); reading this file is quick.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export ROOT

# Versions the build depends on. wasm-bindgen's must equal the `=` pin in Cargo.toml.
CARGO_LEPTOS_VERSION=0.3.11
WASM_BINDGEN_VERSION="$(sed -n 's/^wasm-bindgen *= *{ *version *= *"=\([0-9.]*\)".*/\1/p; s/^wasm-bindgen *= *"=\([0-9.]*\)"/\1/p' "$ROOT/Cargo.toml" 2>/dev/null | head -n1 || true)"
# Debian's newer Rust (with its std source) for when rustup cannot add the wasm32 target.
DEBIAN_RUST_PACKAGES=(rustc-web cargo-web rust-web-src lld-22)
CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}"

# True if the rustc given has a standard library for wasm32-unknown-unknown.
# A std that setup.sh built carries a stamp of the rustc that built it, so an
# upgraded compiler is noticed and the std rebuilt.
has_wasm_std() {
    local sysroot dir
    sysroot="$("$1" --print sysroot 2>/dev/null)" || return 1
    dir="$sysroot/lib/rustlib/wasm32-unknown-unknown/lib"
    compgen -G "$dir/libstd-*.rlib" >/dev/null || return 1
    [ ! -f "$dir/.built-by" ] || [ "$(cat "$dir/.built-by")" = "$("$1" --version)" ]
}

rustup_rustc() {
    command -v rustup >/dev/null 2>&1 && rustup which rustc 2>/dev/null
}

# Prints "rustup" or "debian" when a toolchain with a wasm32 std is installed,
# nothing otherwise. rustup's (the normal path) wins when it has the target.
wasm_toolchain() {
    local r
    if r="$(rustup_rustc)" && [ -n "$r" ] && has_wasm_std "$r"; then
        echo rustup
    elif [ -x /usr/bin/rustc ] && has_wasm_std /usr/bin/rustc; then
        echo debian
    fi
}

# PATH: the chosen compiler first (server and client are built by the same one),
# then cargo-installed tools (cargo-leptos, wasm-bindgen), then npm's wasm-opt.
use_toolchain() {
    local extra="$CARGO_HOME/bin:$ROOT/end2end/node_modules/.bin"
    case "$(wasm_toolchain)" in
        debian) PATH="/usr/bin:$extra:$PATH" ;;
        *) PATH="$extra:$PATH" ;;
    esac
    export PATH
}
