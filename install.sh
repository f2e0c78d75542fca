#!/usr/bin/env bash
# install.sh: set up SRCNN Upscale on Debian 12: system packages, release build, install.
#
#   ./install.sh                 install packages (as root or via sudo), build, install the `srcnn` tool
#                                and the shipped weights under --prefix (default ~/.local)
#   ./install.sh --deps-only     only the Debian packages (what the tests need too)
#   ./install.sh --prefix DIR    install under DIR (bin/srcnn, share/srcnn-upscale/weights)
#   ./install.sh --uninstall     remove what a previous run installed under the prefix
set -euo pipefail
cd "$(dirname "$0")"

PREFIX="${HOME}/.local"
MODE=install
while [ $# -gt 0 ]; do
  case "$1" in
    --deps-only) MODE=deps ;;
    --uninstall) MODE=uninstall ;;
    --prefix) PREFIX="$2"; shift ;;
    --prefix=*) PREFIX="${1#--prefix=}" ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "install.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done

# Debian packages: OpenBLAS (GEMM), GEGL/babl (image files), GIMP and its headers (the plug-in),
# Xvfb/xdotool (the GUI test), time (peak-memory measurements).
PACKAGES=(pkg-config libopenblas-dev libgegl-dev libbabl-dev gimp libgimp2.0-dev libgtk2.0-dev xvfb xdotool time)

install_packages() {
  local missing=()
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && { echo "install.sh: Debian packages already present"; return; }
  local SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null; then SUDO=sudo; else
      echo "install.sh: need root (or sudo) to install: ${missing[*]}" >&2; exit 1
    fi
  fi
  echo "install.sh: installing ${missing[*]}"
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

BIN="$PREFIX/bin/srcnn"
SHARE="$PREFIX/share/srcnn-upscale"

if [ "$MODE" = uninstall ]; then
  rm -f "$BIN"; rm -rf "$SHARE"
  echo "install.sh: removed $BIN and $SHARE"
  exit 0
fi

install_packages
[ "$MODE" = deps ] && exit 0

command -v swift >/dev/null || { echo "install.sh: the Swift toolchain (swift) is not on PATH; install Swift 6 from swift.org" >&2; exit 1; }
swift build -c release --product srcnn
mkdir -p "$PREFIX/bin" "$SHARE/weights"
install -m 755 "$(swift build -c release --show-bin-path)/srcnn" "$BIN"
if compgen -G "Weights/*.safetensors" >/dev/null; then
  install -m 644 Weights/*.safetensors "$SHARE/weights/"
fi
[ -f Weights/MODEL_CARD.md ] && install -m 644 Weights/MODEL_CARD.md "$SHARE/weights/"
echo "install.sh: installed $BIN"
echo "install.sh: weights in $SHARE/weights ($(ls "$SHARE/weights" | grep -c safetensors || true) models)"
echo "  try: $BIN upscale photo.jpg photo-x2.png --scale 2"
