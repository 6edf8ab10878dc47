#!/usr/bin/env bash
# Runs netae's benchmark suite from a folder made by bench/pack-runner.sh, on a machine with
# no npm and no internet: unpacks the payload, the Vulkan loader and GLVND (libvulkan1,
# libglvnd0, libegl1) into a private folder (never into /), puts them on LD_LIBRARY_PATH,
# points the loader at the NVIDIA driver and runs the suite with the packed Node. PyTorch
# joins the suite where `python3 -c "import torch"` works (or NETAE_BENCH_PYTHON). Then one
# training step kernel by kernel (`bench.js step`: per-layer, fused, other fused tilings).
#
#   bash run-on-gpu.sh OUTPUT_FOLDER [bench options, e.g. --quick]
#
# Environment: NETAE_ICD, a Vulkan ICD file to use instead of the NVIDIA one
# (/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json, else the loader's usual search);
# NETAE_RUNNER_WORK, where to unpack (default: a new folder under ${TMPDIR:-/tmp});
# NETAE_BENCH_PARTS, the parts to run, in order (default: "all gemm step"; any of bench.js's names).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
fail() { echo "run-on-gpu: $*" >&2; exit 1; }
[ $# -ge 1 ] || fail "usage: bash run-on-gpu.sh OUTPUT_FOLDER [--quick]"
mkdir -p "$1"
OUT="$(cd "$1" && pwd)"
shift

WORK="${NETAE_RUNNER_WORK:-$(mktemp -d "${TMPDIR:-/tmp}/netae-runner.XXXXXX")}"
mkdir -p "$WORK"
[ -f "$HERE/payload.tar.xz" ] || fail "payload.tar.xz is missing beside this script"
for pkg in libvulkan1 libglvnd0 libegl1; do
  ls "$HERE"/"${pkg}"_*.deb >/dev/null 2>&1 || fail "${pkg}_*.deb is missing beside this script"
done

echo "unpacking into $WORK"
if command -v xz >/dev/null; then
  xz -dc "$HERE/payload.tar.xz" | tar -C "$WORK" -xf -
elif command -v python3 >/dev/null; then
  python3 -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' "$HERE/payload.tar.xz" "$WORK"
else
  fail "neither xz nor python3 is here to unpack payload.tar.xz"
fi

LIBDEBS="$WORK/libs"
mkdir -p "$LIBDEBS"
for deb in "$HERE"/*.deb; do
  if command -v dpkg >/dev/null; then
    dpkg -x "$deb" "$LIBDEBS"
  elif command -v ar >/dev/null; then
    (cd "$LIBDEBS" && ar x "$deb" && tar -xf data.tar.* && rm -f data.tar.* control.tar.* debian-binary)
  else
    fail "neither dpkg nor ar is here to unpack $(basename "$deb")"
  fi
done
for lib in libvulkan.so.1 libGLdispatch.so.0 libEGL.so.1; do
  [ -n "$(find "$LIBDEBS" -name "$lib" | head -n 1)" ] || fail "no $lib in the unpacked packages"
done
LIBS="$(find "$LIBDEBS" -name '*.so*' -exec dirname {} \; | sort -u | paste -sd:)"
for dir in /usr/local/nvidia/lib64 /usr/local/nvidia/lib; do
  [ -d "$dir" ] && LIBS="$LIBS:$dir"
done
export LD_LIBRARY_PATH="$LIBS${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"

ICD="${NETAE_ICD:-}"
if [ -z "$ICD" ] && [ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ]; then
  ICD=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
fi
if [ -n "$ICD" ]; then
  [ -f "$ICD" ] || fail "Vulkan ICD file $ICD does not exist"
  export VK_DRIVER_FILES="$ICD" VK_ICD_FILENAMES="$ICD"
  echo "Vulkan driver: $ICD"
else
  echo "Vulkan driver: none named; the loader searches its usual folders"
fi

NODE="$WORK/node/bin/node"
APP="$WORK/app"
DAWN="$APP/node_modules/webgpu/dist/linux-x64/dawn.node"
missing="$(ldd "$NODE" 2>/dev/null | grep 'not found' || true)"
[ -z "$missing" ] || fail "the packed node needs libraries this machine lacks: $missing"
if ! error="$("$NODE" -e 'require(process.argv[1])' "$DAWN" 2>&1)"; then
  fail "Dawn (webgpu's dawn.node) does not load here; it needs glibc 2.34 and libstdc++ with GLIBCXX_3.4.30 (Debian 12, Ubuntu 22.04 or newer): $error"
fi

{
  echo "host: $(uname -a)"
  command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv || echo "nvidia-smi: not here"
  echo "node: $("$NODE" --version)"
  echo "libraries: $(cd "$HERE" && ls ./*.deb | xargs -n1 basename | tr '\n' ' ')from $LIBS"
  echo "VK_DRIVER_FILES=${VK_DRIVER_FILES:-}"
} | tee "$OUT/machine.txt"

cd "$APP"
set +e
status=0
for part in ${NETAE_BENCH_PARTS:-all gemm step}; do
  "$NODE" dist/bench/bench.js "$part" "$@" --out "$OUT" 2>&1 | tee "$OUT/$([ "$part" = all ] && echo bench || echo "$part").log"
  [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
done
set -e
echo "results in $OUT (exit status $status)"
exit "$status"
