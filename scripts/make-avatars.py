#!/usr/bin/env python3
"""Writes the avatar gallery, public/avatars/<id>.svg: one simple animal face per id of
AVATARS in src/protocol.rs, drawn from circles and paths (original art for this project)."""
import pathlib

OUT = pathlib.Path(__file__).resolve().parent.parent / "public" / "avatars"

# id: (background, face, ears: "point" | "round" | "none", extra feature)
ANIMALS = {
    "fox": ("#ffe3cc", "#f07c2a", "point", "muzzle"),
    "owl": ("#e6e0f5", "#8a6b4f", "tuft", "beak"),
    "cat": ("#e0f0ff", "#7d8796", "point", "whiskers"),
    "bear": ("#f3e6d8", "#8b5a3c", "round", "muzzle"),
    "frog": ("#ddf5dd", "#4caf50", "eyes", "smile"),
    "panda": ("#eef0f3", "#ffffff", "round-dark", "patches"),
    "tiger": ("#fff1cc", "#f59f1b", "round", "stripes"),
    "koala": ("#e4ecef", "#9aa7ad", "fluffy", "nose"),
    "rabbit": ("#fde7ef", "#f3f0ee", "long", "muzzle"),
    "penguin": ("#dcecf7", "#2b3440", "none", "belly"),
    "whale": ("#d6f0fb", "#3b82c4", "spout", "smile"),
    "octopus": ("#fbe0f0", "#c2569b", "none", "spots"),
}

def ears(kind, face):
    if kind == "point":
        return f'<path d="M18 30 L24 8 L36 22 Z M82 30 L76 8 L64 22 Z" fill="{face}"/>'
    if kind in ("round", "round-dark"):
        color = "#2b2b2b" if kind == "round-dark" else face
        return f'<circle cx="24" cy="24" r="11" fill="{color}"/><circle cx="76" cy="24" r="11" fill="{color}"/>'
    if kind == "fluffy":
        return f'<circle cx="20" cy="34" r="14" fill="{face}"/><circle cx="80" cy="34" r="14" fill="{face}"/><circle cx="20" cy="34" r="7" fill="#f4d7dc"/><circle cx="80" cy="34" r="7" fill="#f4d7dc"/>'
    if kind == "long":
        return f'<ellipse cx="36" cy="14" rx="7" ry="18" fill="{face}"/><ellipse cx="64" cy="14" rx="7" ry="18" fill="{face}"/><ellipse cx="36" cy="14" rx="3" ry="12" fill="#f6b8c8"/><ellipse cx="64" cy="14" rx="3" ry="12" fill="#f6b8c8"/>'
    if kind == "tuft":
        return f'<path d="M22 30 L26 12 L38 26 Z M78 30 L74 12 L62 26 Z" fill="{face}"/>'
    if kind == "eyes":
        return f'<circle cx="34" cy="30" r="12" fill="{face}"/><circle cx="66" cy="30" r="12" fill="{face}"/>'
    if kind == "spout":
        return '<path d="M50 4 C46 12 44 16 50 20 C56 16 54 12 50 4 Z" fill="#7cc4ef"/>'
    return ""

def feature(kind, face):
    if kind == "muzzle":
        return '<ellipse cx="50" cy="68" rx="16" ry="11" fill="#fff7ef"/><circle cx="50" cy="63" r="4" fill="#2b2b2b"/>'
    if kind == "beak":
        return '<circle cx="38" cy="50" r="11" fill="#fff"/><circle cx="62" cy="50" r="11" fill="#fff"/><path d="M45 62 L55 62 L50 72 Z" fill="#f2a93b"/>'
    if kind == "whiskers":
        return '<path d="M30 66 H12 M30 71 H14 M70 66 H88 M70 71 H86" stroke="#2b2b2b" stroke-width="2"/><circle cx="50" cy="64" r="4" fill="#f08aa0"/>'
    if kind == "smile":
        return '<path d="M36 68 Q50 80 64 68" stroke="#1f3d1f" stroke-width="3" fill="none"/>'
    if kind == "patches":
        return '<ellipse cx="37" cy="50" rx="9" ry="11" fill="#2b2b2b"/><ellipse cx="63" cy="50" rx="9" ry="11" fill="#2b2b2b"/><circle cx="50" cy="66" r="5" fill="#2b2b2b"/>'
    if kind == "stripes":
        return '<path d="M50 28 V40 M30 36 L38 42 M70 36 L62 42" stroke="#3a2a1a" stroke-width="4" stroke-linecap="round"/><circle cx="50" cy="66" r="5" fill="#3a2a1a"/>'
    if kind == "nose":
        return '<ellipse cx="50" cy="64" rx="8" ry="11" fill="#3b3f45"/>'
    if kind == "belly":
        return '<ellipse cx="50" cy="64" rx="20" ry="18" fill="#ffffff"/><path d="M44 58 L56 58 L50 66 Z" fill="#f2a93b"/>'
    if kind == "spots":
        return '<circle cx="32" cy="70" r="4" fill="#f6c4e2"/><circle cx="68" cy="72" r="4" fill="#f6c4e2"/><circle cx="50" cy="78" r="3" fill="#f6c4e2"/>'
    return ""

def eyes(kind):
    if kind == "beak":  # the owl draws its own eye whites
        return '<circle cx="38" cy="50" r="5" fill="#2b2b2b"/><circle cx="62" cy="50" r="5" fill="#2b2b2b"/>'
    if kind == "patches":
        return '<circle cx="37" cy="50" r="3.5" fill="#fff"/><circle cx="63" cy="50" r="3.5" fill="#fff"/>'
    y = 30 if kind == "smile" else 48
    return f'<circle cx="37" cy="{y}" r="4.5" fill="#2b2b2b"/><circle cx="63" cy="{y}" r="4.5" fill="#2b2b2b"/>'

def svg(name, bg, face, ear, feat):
    face_shape = f'<circle cx="50" cy="54" r="32" fill="{face}"/>'
    outline = ' stroke="#d5d9e0" stroke-width="2"' if face.lower() in ("#ffffff", "#f3f0ee") else ""
    face_shape = face_shape.replace("/>", f"{outline}/>")
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100" role="img" aria-label="{name}">'
        f'<rect width="100" height="100" rx="50" fill="{bg}"/>'
        f"{ears(ear, face)}{face_shape}{feature(feat, face)}{eyes(feat)}</svg>\n"
    )

OUT.mkdir(parents=True, exist_ok=True)
for name, (bg, face, ear, feat) in ANIMALS.items():
    (OUT / f"{name}.svg").write_text(svg(name, bg, face, ear, feat))
print(f"wrote {len(ANIMALS)} avatars to {OUT}")
