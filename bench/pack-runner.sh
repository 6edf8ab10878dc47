#!/usr/bin/env bash
# Packs what `npm run bench` needs into one folder for a GPU machine that has no npm and no
# internet: this machine's Node binary, the built bundles (dist/node, dist/bench), the node_modules
# they load at run time (Dawn for Linux x86-64 included), bench/torch_bench.py, the Vulkan loader
# and the GL dispatch libraries NVIDIA's Vulkan driver loads (Debian's libvulkan1, libglvnd0
# and libegl1), Debian's nats-server (for the jetstream part), NSL-KDD's KDDTrain+ and KDDTest+
# where they are at hand, and bench/run-on-gpu.sh, which unpacks and runs it there.
#
#   bench/pack-runner.sh [FOLDER]        (default: .carry/netae-runner)
#
# NSL-KDD is read from $NETAE_NSL_KDD, else ../shared/data/nsl-kdd beside the project; where it
# is not found, the pack goes without it (the end-to-end parts then use the synthetic conn.log,
# unless an nsl-kdd folder is copied beside run-on-gpu.sh).
#
# Needs: node and npm with `npm ci` done, xz, apt-get (with its package lists), Linux x86-64.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${1:-$ROOT/.carry/netae-runner}"
NODE_BIN="$(readlink -f "$(command -v node)")"

fail() { echo "pack-runner: $*" >&2; exit 1; }
[ "$(uname -sm)" = "Linux x86_64" ] || fail "packs for Linux x86-64 only (this is $(uname -sm))"
command -v xz >/dev/null || fail "xz is missing (apt-get install xz-utils)"
command -v apt-get >/dev/null || fail "apt-get is missing: the Vulkan loader and GLVND come from Debian's packages"
[ -d "$ROOT/node_modules/webgpu" ] || fail "node_modules is missing: run npm ci first"

STAGE="$(mktemp -d)"
trap 'rm -rf "$STAGE"' EXIT

echo "building dist/node and dist/bench"
(cd "$ROOT" && npm run --silent build:bench)

echo "staging the app"
mkdir -p "$STAGE/node/bin" "$STAGE/app/bench" "$STAGE/app/dist"
cp "$NODE_BIN" "$STAGE/node/bin/node"
cp "$ROOT/package.json" "$STAGE/app/"
cp -r "$ROOT/dist/node" "$STAGE/app/dist/node"
cp -r "$ROOT/dist/bench" "$STAGE/app/dist/bench"
find "$STAGE/app/dist" -name '*.map' -delete
cp "$ROOT/bench/torch_bench.py" "$ROOT/bench/README.md" "$STAGE/app/bench/"

echo "copying the node_modules the bundle loads"
(cd "$ROOT" && npx --no-install tsx bench/runner-modules.ts "$ROOT" "$STAGE/app/node_modules") >/dev/null

rm -rf "$OUT"
mkdir -p "$OUT"
echo "compressing (xz)"
tar -C "$STAGE" -cf - node app | xz -T0 -6 > "$OUT/payload.tar.xz"

NSL_KDD="${NETAE_NSL_KDD:-$ROOT/../shared/data/nsl-kdd}"
if [ -f "$NSL_KDD/KDDTrain+.txt" ] && [ -f "$NSL_KDD/KDDTest+.txt" ]; then
  echo "packing NSL-KDD from $NSL_KDD"
  tar -C "$NSL_KDD" -cf - KDDTrain+.txt KDDTest+.txt | xz -T0 -6 > "$OUT/nsl-kdd.tar.xz"
else
  echo "NSL-KDD not found in $NSL_KDD: packed without it"
fi

# libvulkan1: the Vulkan loader. libglvnd0 and libegl1: NVIDIA's Vulkan ICD (libGLX_nvidia.so.0)
# needs GLVND's libGLdispatch.so.0; without it the loader reports "Found no drivers".
# nats-server: the jetstream part's server (a Go binary that needs only libc; run-on-gpu.sh sets NATS_SERVER).
PACKAGES=(libvulkan1 libglvnd0 libegl1 nats-server)
echo "fetching ${PACKAGES[*]}"
(cd "$OUT" && apt-get download -q "${PACKAGES[@]}" 2>&1 | grep -v '^W: Download is performed unsandboxed' >&2 || true)
for pkg in "${PACKAGES[@]}"; do
  ls "$OUT"/"${pkg}"_*.deb >/dev/null 2>&1 || fail "apt-get download $pkg failed (run apt-get update first)"
done

cp "$ROOT/bench/run-on-gpu.sh" "$OUT/"
chmod +x "$OUT/run-on-gpu.sh"
{
  echo "netae GPU runner, packed $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "commit: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$ROOT" diff --quiet 2>/dev/null || echo ' (with uncommitted changes)')"
  echo "node: $("$NODE_BIN" --version) from $NODE_BIN"
  echo "webgpu: $(node -p "require('$ROOT/node_modules/webgpu/package.json').version")"
  echo "packages: $(cd "$OUT" && ls ./*.deb | xargs -n1 basename | tr '\n' ' ')"
  echo "NSL-KDD: $([ -f "$OUT/nsl-kdd.tar.xz" ] && echo "nsl-kdd.tar.xz (KDDTrain+.txt, KDDTest+.txt from $NSL_KDD)" || echo "not packed")"
  echo "run there: bash run-on-gpu.sh OUTPUT_FOLDER [--quick]"
} > "$OUT/MANIFEST.txt"

echo
cat "$OUT/MANIFEST.txt"
echo
du -h "$OUT"/* | sed 's/^/  /'
echo "total: $(du -sh "$OUT" | cut -f1) in $OUT"
