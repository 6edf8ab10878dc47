#!/usr/bin/env bash
# Runs netae's benchmark suite from a folder made by bench/pack-runner.sh, on a machine with
# no npm and no internet: unpacks the payload, the Vulkan loader and GLVND (libvulkan1,
# libglvnd0, libegl1) and nats-server into a private folder (never into /), puts the libraries on
# LD_LIBRARY_PATH, points the loader at the NVIDIA driver and runs the suite with the packed Node.
# PyTorch joins the suite where `python3 -c "import torch"` works (or NETAE_BENCH_PYTHON). Then
# one training step kernel by kernel (`bench.js step`: per-layer, fused, every other fused tiling;
# always without --quick, which would measure the default tiling only).
#
#   bash run-on-gpu.sh OUTPUT_FOLDER [bench options, e.g. --quick]
#
# Environment: NETAE_ICD, a Vulkan ICD file to use instead of the NVIDIA one
# (/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json, else the loader's usual search);
# NETAE_RUNNER_WORK, where to unpack (default: a new folder under ${TMPDIR:-/tmp});
# NETAE_BENCH_PARTS, the parts to run, in order (default: "all gemm step"; any of bench.js's names,
# and score-cli-synthetic: score-cli on the synthetic conn.log, into OUTPUT_FOLDER/score-cli-synthetic;
# PART:quick gives that part alone --quick);
# NETAE_NSL_KDD, the folder holding KDDTrain+.txt and KDDTest+.txt (default: nsl-kdd beside this
# script, else the copy packed as nsl-kdd.tar.xz; without them the end-to-end parts use the
# synthetic conn.log); NETAE_SCORE_CLI_MEASURES, the end-to-end part's measures (bench/README.md);
# NATS_SERVER, a nats-server for the jetstream part (default: the packed one).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
fail() { echo "run-on-gpu: $*" >&2; exit 1; }
[ $# -ge 1 ] || fail "usage: bash run-on-gpu.sh OUTPUT_FOLDER [--quick]"
mkdir -p "$1"
OUT="$(cd "$1" && pwd)"
shift

# NSL-KDD, as an absolute path: the parts run from the unpacked app, not from here.
if [ -n "${NETAE_NSL_KDD:-}" ]; then
  [ -d "$NETAE_NSL_KDD" ] || fail "NETAE_NSL_KDD=$NETAE_NSL_KDD is not a folder"
  NETAE_NSL_KDD="$(cd "$NETAE_NSL_KDD" && pwd)"
  NSL_FROM="NETAE_NSL_KDD"
elif [ -f "$HERE/nsl-kdd/KDDTrain+.txt" ]; then
  NETAE_NSL_KDD="$HERE/nsl-kdd"
  NSL_FROM="the nsl-kdd folder beside run-on-gpu.sh"
elif [ -f "$HERE/nsl-kdd.tar.xz" ]; then
  NSL_FROM="nsl-kdd.tar.xz, packed with the runner"
fi

WORK="${NETAE_RUNNER_WORK:-$(mktemp -d "${TMPDIR:-/tmp}/netae-runner.XXXXXX")}"
mkdir -p "$WORK"
[ -f "$HERE/payload.tar.xz" ] || fail "payload.tar.xz is missing beside this script"
for pkg in libvulkan1 libglvnd0 libegl1; do
  ls "$HERE"/"${pkg}"_*.deb >/dev/null 2>&1 || fail "${pkg}_*.deb is missing beside this script"
done

# A .tar.xz into a folder, with xz, or Python's tarfile where there is no xz.
untar_xz() {
  if command -v xz >/dev/null; then
    xz -dc "$1" | tar -C "$2" -xf -
  elif command -v python3 >/dev/null; then
    python3 -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' "$1" "$2"
  else
    fail "neither xz nor python3 is here to unpack $(basename "$1")"
  fi
}

echo "unpacking into $WORK"
untar_xz "$HERE/payload.tar.xz" "$WORK"
if [ "${NSL_FROM:-}" = "nsl-kdd.tar.xz, packed with the runner" ]; then
  NETAE_NSL_KDD="$WORK/nsl-kdd"
  mkdir -p "$NETAE_NSL_KDD"
  untar_xz "$HERE/nsl-kdd.tar.xz" "$NETAE_NSL_KDD"
fi
if [ -n "${NETAE_NSL_KDD:-}" ]; then
  for file in KDDTrain+.txt KDDTest+.txt; do
    [ -f "$NETAE_NSL_KDD/$file" ] || fail "no $file in $NETAE_NSL_KDD (from $NSL_FROM)"
  done
  export NETAE_NSL_KDD
  NSL_LINE="NSL-KDD: $NETAE_NSL_KDD (from $NSL_FROM)"
else
  NSL_LINE="NSL-KDD: none (no NETAE_NSL_KDD, no nsl-kdd folder beside run-on-gpu.sh, no nsl-kdd.tar.xz): the end-to-end parts use the synthetic conn.log"
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
if [ -z "${NATS_SERVER:-}" ] && [ -x "$LIBDEBS/usr/sbin/nats-server" ]; then
  export NATS_SERVER="$LIBDEBS/usr/sbin/nats-server"
fi
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
  echo "$NSL_LINE"
  echo "nats-server: ${NATS_SERVER:-none packed or named (the jetstream part looks on the PATH)}"
} | tee "$OUT/machine.txt"

cd "$APP"
set +e
status=0
for part in ${NETAE_BENCH_PARTS:-all gemm step}; do
  # The step bench's --quick measures the default fused tiling only; on a GPU every tiling costs
  # little, and choosing among them is what it is for.
  args=()
  for arg in "$@"; do
    [ "$part" = step ] && [ "$arg" = --quick ] && continue
    args+=("$arg")
  done
  # PART:quick runs that part alone with --quick.
  if [ "${part%:quick}" != "$part" ]; then
    part="${part%:quick}"
    args+=(--quick)
  fi
  name="$part" dest="$OUT" workload="${NETAE_BENCH_WORKLOAD:-}"
  if [ "$part" = score-cli-synthetic ]; then
    name=score-cli dest="$OUT/score-cli-synthetic" workload=synthetic
  fi
  log="$OUT/$([ "$part" = all ] && echo bench || echo "$part").log"
  NETAE_BENCH_WORKLOAD="$workload" "$NODE" dist/bench/bench.js "$name" ${args[@]+"${args[@]}"} --out "$dest" 2>&1 | tee "$log"
  [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
done
set -e
echo "results in $OUT (exit status $status)"
exit "$status"
