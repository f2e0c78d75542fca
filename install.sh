#!/usr/bin/env bash
# install.sh: set up SRCNN Upscale on Debian 12: system packages, release build, install.
#
#   ./install.sh                 install packages (as root or via sudo), build, install the `srcnn` tool
#                                and the shipped weights under --prefix (default ~/.local), and the GIMP
#                                plug-in, its weights and the Script-Fu batch file into the GIMP profile
#                                ($GIMP2_DIRECTORY, default ~/.config/GIMP/2.10)
#   ./install.sh --deps-only     only the Debian packages (what the tests need too)
#   ./install.sh --prefix DIR    install the tool under DIR (bin/srcnn, share/srcnn-upscale/weights)
#   ./install.sh --gimp-dir DIR  install the plug-in into the GIMP profile DIR (same as GIMP2_DIRECTORY=DIR)
#   ./install.sh --no-plugin     skip the GIMP plug-in
#   ./install.sh --plugin-only   only the GIMP plug-in (not the `srcnn` tool)
#   ./install.sh --uninstall     remove what a previous run installed (tool and plug-in)
set -euo pipefail
cd "$(dirname "$0")"

PREFIX="${HOME}/.local"
GIMP_DIR="${GIMP2_DIRECTORY:-${HOME}/.config/GIMP/2.10}"
PLUGIN=yes
TOOL=yes
MODE=install
while [ $# -gt 0 ]; do
  case "$1" in
    --deps-only) MODE=deps ;;
    --uninstall) MODE=uninstall ;;
    --prefix) PREFIX="$2"; shift ;;
    --prefix=*) PREFIX="${1#--prefix=}" ;;
    --gimp-dir) GIMP_DIR="$2"; shift ;;
    --gimp-dir=*) GIMP_DIR="${1#--gimp-dir=}" ;;
    --no-plugin) PLUGIN=no ;;
    --plugin-only) TOOL=no ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "install.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done

# Debian packages: OpenBLAS (GEMMs on CPUs without AVX-512, loaded at run time), libvips (the CLI's image
# files), GEGL/babl, GIMP and its headers (the plug-in), Xvfb/xdotool (the GUI test), time (peak-memory
# measurements), exiftool, an ICC profile and the vips command (the metadata and damaged-file tests make their
# fixtures with them).
PACKAGES=(pkg-config libopenblas-dev libvips-dev libgegl-dev libbabl-dev gimp libgimp2.0-dev libgtk2.0-dev
          xvfb xdotool time libimage-exiftool-perl libgs-common libvips-tools)

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

PLUGDIR="$GIMP_DIR/plug-ins/srcnn-upscale"
SCRIPT="$GIMP_DIR/scripts/srcnn-batch.scm"

if [ "$MODE" = uninstall ]; then
  if [ "$TOOL" = yes ]; then
    rm -f "$BIN"; rm -rf "$SHARE"
    echo "install.sh: removed $BIN and $SHARE"
  fi
  if [ "$PLUGIN" = yes ]; then
    rm -rf "$PLUGDIR" "$PLUGDIR.new"; rm -f "$SCRIPT"
    echo "install.sh: removed $PLUGDIR and $SCRIPT"
  fi
  exit 0
fi

install_packages
[ "$MODE" = deps ] && exit 0

command -v swift >/dev/null || { echo "install.sh: the Swift toolchain (swift) is not on PATH; install Swift 6 from swift.org" >&2; exit 1; }
# Self-contained builds (static Swift runtime: the CLI starts ~10 ms faster, the plug-in needs no Swift on the
# user's machine), in their own scratch folder so the flags do not invalidate the normal (test) build.
STATIC=(-c release --scratch-path .build-static -Xswiftc -static-stdlib)
STATIC_BIN="$(swift build "${STATIC[@]}" --show-bin-path)"
if [ "$TOOL" = yes ]; then
  swift build "${STATIC[@]}" --product srcnn
  mkdir -p "$PREFIX/bin" "$SHARE/weights"
  install -m 755 "$STATIC_BIN/srcnn" "$BIN"
  if compgen -G "Weights/*.safetensors" >/dev/null; then
    install -m 644 Weights/*.safetensors "$SHARE/weights/"
  fi
  [ -f Weights/MODEL_CARD.md ] && install -m 644 Weights/MODEL_CARD.md "$SHARE/weights/"
  echo "install.sh: installed $BIN"
  echo "install.sh: weights in $SHARE/weights ($(ls "$SHARE/weights" | grep -c safetensors || true) models)"
  echo "  try: $BIN upscale photo.jpg photo-x2.png --scale 2"
fi

[ "$PLUGIN" = yes ] || exit 0

# The GIMP plug-in: the C shim executable loads libSRCNNGimp.so from its own folder.
swift build "${STATIC[@]}" --product SRCNNGimp
swift build "${STATIC[@]}" --product srcnn-upscale
if [ ! -f "$GIMP_DIR/gimprc" ] && command -v gimp-console >/dev/null; then
  # A fresh profile: let GIMP create it first (it would otherwise treat it as a first run later).
  GIMP2_DIRECTORY="$GIMP_DIR" timeout 120 gimp-console -i -b '(gimp-quit 0)' >/dev/null 2>&1 || true
fi
# Upgrade cleanly: assemble the new folder beside the old one, then swap.
mkdir -p "$GIMP_DIR/plug-ins" "$GIMP_DIR/scripts"
rm -rf "$PLUGDIR.new"
mkdir -p "$PLUGDIR.new/weights"
install -m 755 "$STATIC_BIN/srcnn-upscale" "$PLUGDIR.new/srcnn-upscale"
install -m 644 "$STATIC_BIN/libSRCNNGimp.so" "$PLUGDIR.new/libSRCNNGimp.so"
if compgen -G "Weights/*.safetensors" >/dev/null; then
  install -m 644 Weights/*.safetensors "$PLUGDIR.new/weights/"
fi
[ -f Weights/MODEL_CARD.md ] && install -m 644 Weights/MODEL_CARD.md "$PLUGDIR.new/weights/"
install -m 644 Plugin/README.md "$PLUGDIR.new/README.md"
# The help page the dialog's Help button opens (GIMP's help domain for the plug-in: help/<locale>/gimp-help.xml).
mkdir -p "$PLUGDIR.new/help/en"
install -m 644 Plugin/help/en/* "$PLUGDIR.new/help/en/"
rm -rf "$PLUGDIR"
mv "$PLUGDIR.new" "$PLUGDIR"
install -m 644 Plugin/srcnn-batch.scm "$SCRIPT"
echo "install.sh: installed the GIMP plug-in in $PLUGDIR ($(ls "$PLUGDIR/weights" | grep -c safetensors || true) models)"
echo "install.sh: installed the batch script $SCRIPT"
echo "  in GIMP: Filters > Enhance > SRCNN Upscale... (restart GIMP if it is running)"
echo "  batch:   gimp -i -b '(srcnn-batch-upscale \"in/*.jpg\" \"out/\" 2.0)' -b '(gimp-quit 0)'"
