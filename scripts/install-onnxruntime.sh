#!/usr/bin/env bash
# Installs ONNX Runtime's CPU shared library (MIT) for GoMLX's ONNX Runtime
# backend into ~/.local/lib/onnxruntime/, taken from the npm package
# onnxruntime-node (no install scripts run: `npm pack` only downloads the
# tarball). Idempotent. Never fails the build: without npm, or on any error,
# it prints one line and mrgkit runs on the pure-Go backend.
set -u
ORT_NPM_VERSION=${ORT_NPM_VERSION:-1.30.0}
dest="${HOME}/.local/lib/onnxruntime"
lib="$dest/libonnxruntime.so.1"
stamp="$dest/.from-onnxruntime-node-$ORT_NPM_VERSION"
if [ -f "$lib" ] && [ -f "$stamp" ]; then
  exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "onnxruntime: npm not found; mrgkit will use the pure-Go backend (install npm and run 'make onnxruntime' for the ONNX Runtime CPU backend, about 2x faster on the cpu preset)"
  exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if ! (cd "$tmp" && npm pack --silent "onnxruntime-node@$ORT_NPM_VERSION" >pack.log 2>&1); then
  echo "onnxruntime: 'npm pack onnxruntime-node@$ORT_NPM_VERSION' failed ($(tail -n 1 "$tmp/pack.log")); mrgkit will use the pure-Go backend"
  exit 0
fi
tgz=$(ls "$tmp"/onnxruntime-node-*.tgz 2>/dev/null | head -n 1)
if [ -z "$tgz" ] || ! tar -xzf "$tgz" -C "$tmp" package/bin/napi-v6/linux/x64/libonnxruntime.so.1 2>/dev/null; then
  echo "onnxruntime: the npm package has no linux/x64 libonnxruntime.so.1; mrgkit will use the pure-Go backend"
  exit 0
fi
mkdir -p "$dest"
cp "$tmp/package/bin/napi-v6/linux/x64/libonnxruntime.so.1" "$lib.tmp" && mv -f "$lib.tmp" "$lib"
ln -sf libonnxruntime.so.1 "$dest/libonnxruntime.so"
rm -f "$dest"/.from-onnxruntime-node-*
touch "$stamp"
echo "onnxruntime: installed ONNX Runtime $ORT_NPM_VERSION at $lib"
