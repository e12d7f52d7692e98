#!/usr/bin/env bash
# End-to-end scale benchmark: generates organisations of the given sizes
# (default 1,000 and 10,000 services, each in 4 clusters) and runs every
# command a pull request runs, as a user runs the release binary. Prints a
# Markdown table: the median wall time of RUNS runs (default 3) and the
# largest peak resident memory of any run; then the floor under a render
# (`examples/floor.rs`: the same bytes parsed and emitted, the same files
# created, with nothing of paved in between).
#
#   tool/benches/scale.sh                # 1000 and 10000 services
#   RUNS=5 tool/benches/scale.sh 1000    # one size, five runs each
#
# Needs GNU time (`/usr/bin/time`, Debian's `time` package) and git.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
runs=${RUNS:-3}
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(1000 10000)
[ -x /usr/bin/time ] || { echo "scale.sh needs GNU time: apt-get install time" >&2; exit 2; }

cargo build --quiet --release --manifest-path "$root/tool/Cargo.toml" \
  --bin paved --example synthetic_org --example floor
paved_bin="$root/target/release/paved"
generate="$root/target/release/examples/synthetic_org"
floor="$root/target/release/examples/floor"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# One measured run: wall seconds and peak RSS (KiB) appended to $work/times.
measure() {
  /usr/bin/time -a -o "$work/times" -f "%e %M" "$@" >/dev/null 2>"$work/stderr" || {
    status=$?
    # 1 is "findings" (policy warnings, a diff): still a finished run.
    [ "$status" -eq 1 ] || { cat "$work/stderr" >&2; exit "$status"; }
  }
}

# `row NAME PREPARE COMMAND...`: PREPARE runs before each run, unmeasured.
row() {
  local name=$1 prepare=$2
  shift 2
  : >"$work/times"
  for _ in $(seq "$runs"); do
    eval "$prepare"
    measure "$@"
  done
  sort -n "$work/times" | awk -v name="$name" -v n="$runs" '
    { wall[NR] = $1; if ($2 > rss) rss = $2 }
    END { printf "| %s | %.2f s | %.0f MiB |\n", name, wall[int((n + 1) / 2)], rss / 1024 }'
}

# Empties rendered/ for a cold render by moving the tree aside (removed
# with the rest at exit), not deleting it: on ext4 without a journal (as on
# the VM these figures come from), the inode allocator passes over every
# inode deleted in the last minutes, reading its block to see when
# (`recently_deleted` in the kernel). At 10,000 services a render made
# just after deleting the previous tree's 80,000 inodes took 32.4 s, 17.1 s
# of its CPU time in the kernel; made after moving it aside, 27.7 s and
# 10.6 s. (At 1,000 services: 3.7 to 5.9 s, and 2.5 to 3.0 s.)
aside() {
  [ ! -e "$org/rendered" ] || mv "$org/rendered" "$(mktemp -d "$work/aside.XXXXXX")/"
}

for size in "${sizes[@]}"; do
  org="$work/org-$size"
  "$generate" "$org" "$size" 2>/dev/null
  units=$("$paved_bin" --root "$org" render 2>&1 | sed -n 's/.*(\([0-9]*\) units).*/\1/p')
  # Committed with its rendered tree, as a repository using paved is.
  git -C "$org" init -q -b main
  git -C "$org" add -A
  git -C "$org" -c user.name=bench -c user.email=bench@example.com commit -qm base
  intent=$(find "$org/teams" -path '*/services/*.yaml' | sort | sed -n 1p)
  service=$(basename "$intent" .yaml)

  echo
  echo "### $size services ($units units), median of $runs"
  echo
  echo "| work | wall | peak memory |"
  echo "|---|---|---|"
  row "cold \`render\` (rendered/ empty)" aside "$paved_bin" --root "$org" render
  row "cold \`render --jobs 1\`" aside "$paved_bin" --root "$org" render --jobs 1
  # A no-op run records the hashes of the files it read
  # (`rendered/.paved-hashes`) once their times are 3 s old; the no-op
  # rows measure the runs after that one, as a developer's next run is.
  sleep 3
  "$paved_bin" --root "$org" render >/dev/null 2>&1
  row "no-op \`render\` (rendered/ committed)" ':' "$paved_bin" --root "$org" render
  # Each full `check`, `validate` and `policy` records its verdict
  # (`rendered/.paved-verdicts`, local); the "again" rows measure the
  # runs that answer from it.
  verdicts="$org/rendered/.paved-verdicts"
  row "\`check\`" 'rm -f "$verdicts"' "$paved_bin" --root "$org" check
  row "\`check\` again, nothing touched" ':' "$paved_bin" --root "$org" check
  row "no-op \`check --base main\`" ':' "$paved_bin" --root "$org" check --base main
  row "\`validate\`" 'rm -f "$verdicts"' "$paved_bin" --root "$org" validate
  row "\`validate\` again, nothing touched" ':' "$paved_bin" --root "$org" validate
  row "\`policy\`" 'rm -f "$verdicts"' "$paved_bin" --root "$org" policy
  row "\`policy\` again, nothing touched" ':' "$paved_bin" --root "$org" policy
  # One intent changes (an environment variable's value), then back.
  cp "$intent" "$work/intent"
  sed -i 's/LOG_FORMAT: json/LOG_FORMAT: text/' "$intent"
  cmp -s "$intent" "$work/intent" && { echo "the generated intent has no LOG_FORMAT to change" >&2; exit 2; }
  row "\`render\` after one intent changed" 'git -C "$org" checkout -q -- rendered' "$paved_bin" --root "$org" render
  row "\`render --service $service\` after it changed" 'git -C "$org" checkout -q -- rendered' "$paved_bin" --root "$org" render --service "$service"
  # The pull request's own check: its rendered/ rendered again, checked
  # against the base it merges into.
  row "\`check --base main\` after it changed" '"$paved_bin" --root "$org" render >/dev/null 2>&1' "$paved_bin" --root "$org" check --base main
  row "\`validate --base main\` after it changed" ':' "$paved_bin" --root "$org" validate --base main
  row "\`diff --base main\`, one service changed" ':' "$paved_bin" --root "$org" diff --base main
  cp "$work/intent" "$intent"
  echo
  echo "The floor (\`examples/floor.rs\`): the same bytes parsed and emitted by serde_yaml and by paved's own reader and writer, and the same files created:"
  echo
  "$floor" "$org/rendered" 2>&1 | sed 's/^/    /'
done
