#!/usr/bin/env bash
# Regenerates tool/data/kubernetes/<version>.json for every Kubernetes
# version paved supports. Needs only the Rust toolchain (and crates.io);
# each version compiles k8s-openapi once, a few minutes in all.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$here/../data/kubernetes"
mkdir -p "$out"
for feature in v1_33 v1_34 v1_35 v1_36 v1_37; do
  version="${feature#v}"; version="${version/_/.}"
  cargo run --quiet --release --manifest-path "$here/Cargo.toml" --features "$feature" > "$out/$version.json.tmp"
  mv "$out/$version.json.tmp" "$out/$version.json"
  echo "wrote $out/$version.json" >&2
done
