#!/usr/bin/env bash
# Side by side: paved, and the tool a team would pick instead (kubectl's
# built-in kustomize), on one generated organisation (default 1,000
# services in 4 clusters). Prints a Markdown table of wall times (medians
# of RUNS runs, default 3, for paved; one run for kustomize's long rows).
#
# kustomize is given the least work a render could be: each unit's
# finished manifest, as paved rendered it, as its one resource, with a
# label added and its image's tag set. It parses, transforms and emits
# the bytes paved writes, but templates nothing, layers no values and
# validates nothing, so its times are a floor under what the same
# organisation would cost as kustomize overlays. It is run as teams run
# it: one process per overlay (as a CI script, or Argo CD per
# application), every overlay on both cores; and one kustomization per
# cluster aggregating that cluster's overlays, at growing counts.
#
#   tool/benches/alternatives.sh        # 1000 services
#   tool/benches/alternatives.sh 300    # a smaller organisation
#
# Needs kubectl (with its built-in kustomize), GNU time
# (`/usr/bin/time`), GNU xargs.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
size=${1:-1000}
runs=${RUNS:-3}
command -v kubectl >/dev/null || { echo "alternatives.sh needs kubectl" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "alternatives.sh needs GNU time: apt-get install time" >&2; exit 2; }

cargo build --quiet --release --manifest-path "$root/tool/Cargo.toml" \
  --bin paved --example synthetic_org
paved_bin="$root/target/release/paved"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
org="$work/org"
"$root/target/release/examples/synthetic_org" "$org" "$size" 2>/dev/null

# Wall seconds of one run of a command.
wall() {
  /usr/bin/time -o "$work/time" -f "%e" "$@" >/dev/null 2>"$work/stderr" ||
    { cat "$work/stderr" >&2; exit 2; }
  cat "$work/time"
}

# The median wall seconds of `runs` runs, PREPARE before each.
median() {
  local prepare=$1
  shift
  for _ in $(seq "$runs"); do
    eval "$prepare"
    wall "$@"
  done | sort -n | sed -n "$(((runs + 1) / 2))p"
}

# Moved aside, not deleted: see `aside` in scale.sh.
aside() {
  [ ! -e "$org/rendered" ] || mv "$org/rendered" "$(mktemp -d "$work/aside.XXXXXX")/"
}
cold=$(median aside "$paved_bin" --root "$org" render)
sleep 3
"$paved_bin" --root "$org" render >/dev/null 2>&1
git -C "$org" init -q -b main
git -C "$org" add -A
git -C "$org" -c user.name=bench -c user.email=bench@example.com commit -qm base
noop=$(median ':' "$paved_bin" --root "$org" render)

# One overlay per unit, beside a copy of its manifest.
kz="$work/kustomize"
find "$org/rendered" -name manifest.yaml | sort >"$work/manifests"
units=$(wc -l <"$work/manifests")
resources=$(cat $(cat "$work/manifests") | grep -c '^kind:')
while read -r manifest; do
  unit=${manifest#"$org/rendered/"}
  dir="$kz/${unit%/manifest.yaml}"
  mkdir -p "$dir"
  cp "$manifest" "$dir/manifest.yaml"
  image=$(sed -n 's/^ *image: \(.*\):[^:/]*$/\1/p' "$manifest" | sed -n 1p)
  {
    echo "apiVersion: kustomize.config.k8s.io/v1beta1"
    echo "kind: Kustomization"
    echo "resources: [manifest.yaml]"
    echo "labels:"
    echo "- pairs: {example.dev/rendered-by: kustomize}"
    if [ -n "$image" ]; then
      echo "images:"
      echo "- {name: \"$image\", newTag: \"9.9.9\"}"
    fi
  } >"$dir/kustomization.yaml"
done <"$work/manifests"
sed "s|^$org/rendered/||; s|/manifest.yaml$||" "$work/manifests" >"$work/overlays"

# Every overlay, one `kubectl kustomize` process each, two at a time.
cd "$kz"
started=$(date +%s.%N)
xargs -P 2 -I{} sh -c 'kubectl kustomize "$1" >/dev/null' _ {} <"$work/overlays"
ended=$(date +%s.%N)
per_process=$(awk -v a="$started" -v b="$ended" 'BEGIN { print b - a }')

echo
echo "### $size services: $units units, $resources resources"
echo
echo "| work | wall | per unit |"
echo "|---|---|---|"
row() { awk -v what="$1" -v s="$2" -v n="$3" 'BEGIN { printf "| %s | %.3f s | %.2f ms |\n", what, s, s * 1000 / n }'; }
row "paved: cold \`render\` (templates, values, validation, tenancy; files written)" "$cold" "$units"
row "paved: no-op \`render\`" "$noop" "$units"
row "kustomize: one \`kubectl kustomize\` per overlay, 2 at a time (manifests re-emitted)" "$per_process" "$units"

# An eighth, a quarter and half of one cluster's overlays aggregated into
# one kustomization: how kustomize's time grows with what it aggregates
# (quadratically: the whole cluster would take as long as the rest).
cluster=$(sed -n 's|^\([^_][^/]*\)/.*|\1|p' "$work/overlays" | sort | uniq -c | sort -rn | sed -n '1s/.* //p')
total=$(grep -c "^$cluster/" "$work/overlays")
for count in $((total / 8)) $((total / 4)) $((total / 2)); do
  dir="$kz/aggregate-$count"
  mkdir -p "$dir"
  {
    echo "apiVersion: kustomize.config.k8s.io/v1beta1"
    echo "kind: Kustomization"
    echo "resources:"
    grep "^$cluster/" "$work/overlays" | sed -n "1,${count}p" | sed 's|^|- ../|'
  } >"$dir/kustomization.yaml"
  seconds=$(wall kubectl kustomize "$dir")
  row "kustomize: $count overlays of \`$cluster\` aggregated in one kustomization" "$seconds" "$count"
done
