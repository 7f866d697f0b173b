#!/usr/bin/env bash
# Measures every benchmark row before and after, in one run on one machine.
#
# "Before" is a commit of Granary (default ba81e93, main just before the Orleans engine merged) built with
# THIS checkout's benchmark program copied over its own, so both sides run the same rows; "after" is this
# checkout. Rows that cannot exist before (the engine floor needs a grain the old silos lack) are left out
# of that build by the program itself. Both are built Release, then run one after the other (before
# first), then the Dask harness once; the script saves both JSON outputs, the logs and a merged markdown
# table, and prints the table.
#
# Usage: benchmarks/before-after.sh [--quick] [--no-dask] [--embedded] [--before REV] [--before-dir DIR]
#                                   [--out DIR] [--timeout SECONDS]
#   --quick        smoke version of every row (seconds to minutes), not for comparison
#   --no-dask      skip the Dask column
#   --embedded     silos in the benchmark's process instead of separate `granary` processes
#   --before REV   the before commit (default ba81e93)
#   --before-dir   where the before worktree lives (default: $TMPDIR/granary-before-REV); created or reset
#   --out DIR      where results go (default: benchmarks/results/<UTC time>[-quick] in this checkout)
#   --timeout S    limit for each benchmark run (default 3600, quick 900); a run past it is killed and
#                  reported, and the other side still runs
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
after_dir="$(cd "$here/.." && pwd)"
before_rev="ba81e93"
before_dir=""
out=""
quick=0
dask=1
program_args=()
limit=""

while [[ $# -gt 0 ]]; do
  case "$1" in
    --quick) quick=1; program_args+=(--quick) ;;
    --no-dask) dask=0 ;;
    --embedded) program_args+=(--embedded) ;;
    --before) before_rev="$2"; shift ;;
    --before-dir) before_dir="$2"; shift ;;
    --out) out="$2"; shift ;;
    --timeout) limit="$2"; shift ;;
    -h|--help) sed -n '2,21p' "$0"; exit 0 ;;
    *) echo "before-after.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

before_rev_full="$(git -C "$after_dir" rev-parse --verify "$before_rev^{commit}")"
before_dir="${before_dir:-${TMPDIR:-/tmp}/granary-before-${before_rev_full:0:7}}"
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
out="${out:-$after_dir/benchmarks/results/$stamp$([[ $quick == 1 ]] && echo -quick || true)}"
limit="${limit:-$([[ $quick == 1 ]] && echo 900 || echo 3600)}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
log() { echo "before-after: $*" >&2; }
# Any python3 does for the table; the Dask harness needs Debian's (/usr/bin/python3) for its packages.
py="$(command -v python3 || echo /usr/bin/python3)"

# The before tree: a detached worktree of the before commit, reset each time so nothing of an earlier
# overlay or a local edit survives (bin/ and obj/ stay, which keeps rebuilds short).
if git -C "$before_dir" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  log "resetting the worktree at $before_dir to $before_rev"
  git -C "$before_dir" checkout --quiet --detach --force "$before_rev_full"
  git -C "$before_dir" reset --quiet --hard "$before_rev_full"
  git -C "$before_dir" clean --quiet -fd -- benchmarks
elif [[ -e "$before_dir" ]]; then
  log "$before_dir exists and is not a git worktree; pass another --before-dir"; exit 1
else
  log "creating a worktree of $before_rev at $before_dir"
  git -C "$after_dir" worktree prune
  git -C "$after_dir" worktree add --quiet --detach "$before_dir" "$before_rev_full"
fi

# The overlay: this checkout's benchmark program and Dask harness replace the old ones (old source files
# are removed first, so a file renamed since cannot linger and compile twice).
log "copying this checkout's benchmarks/ over the before tree"
find "$before_dir/benchmarks/Granary.Benchmarks" -name '*.cs' -not -path '*/bin/*' -not -path '*/obj/*' -delete
tar -C "$after_dir/benchmarks" --exclude=./results --exclude='*/bin' --exclude='*/obj' -cf - . | tar -C "$before_dir/benchmarks" -xf -

build() {
  local tree="$1" name="$2"
  log "building $name (Release): $tree"
  if ! dotnet build -c Release "$tree/benchmarks/Granary.Benchmarks/Granary.Benchmarks.csproj" >"$out/$name-build.log" 2>&1; then
    log "the $name build failed; the end of $out/$name-build.log:"
    tail -n 30 "$out/$name-build.log" >&2
    exit 1
  fi
}
build "$before_dir" before
build "$after_dir" after

# One run in its own session, so a run killed at the limit takes its silo processes with it.
run() {
  local tree="$1" name="$2"
  local dll="$tree/benchmarks/Granary.Benchmarks/bin/Release/net10.0/Granary.Benchmarks.dll"
  log "running $name: ${program_args[*]:-} --no-dask --json (limit ${limit}s; load average $(cut -d' ' -f1-3 /proc/loadavg))"
  local started=$SECONDS
  setsid dotnet "$dll" "${program_args[@]}" --no-dask --json >"$out/$name.json" 2>"$out/$name.log" &
  local pid=$!
  local rc=0
  while kill -0 "$pid" 2>/dev/null; do
    if (( SECONDS - started > limit )); then
      log "$name ran past ${limit}s; killing it"
      kill -TERM -- "-$pid" 2>/dev/null || true
      sleep 10
      kill -KILL -- "-$pid" 2>/dev/null || true
      break
    fi
    sleep 2
  done
  wait "$pid" || rc=$?
  kill -KILL -- "-$pid" 2>/dev/null || true
  log "$name finished in $((SECONDS - started)) s with exit code $rc"
  if ! "$py" -c 'import json,sys; json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])' "$out/$name.json" 2>/dev/null; then
    log "$name gave no JSON; the end of $out/$name.log:"
    tail -n 20 "$out/$name.log" >&2
  fi
}
run "$before_dir" before
run "$after_dir" after

dask_json=""
if [[ $dask == 1 ]]; then
  if /usr/bin/python3 -c 'import distributed, numpy' 2>/dev/null; then
    log "running the Dask harness"
    dask_args=(--reps 3)
    [[ $quick == 1 ]] && dask_args=(--reps 1 --quick)
    if timeout "$limit" /usr/bin/python3 "$after_dir/benchmarks/dask/dask_baseline.py" "${dask_args[@]}" >"$out/dask.json" 2>"$out/dask.log"; then
      dask_json="$out/dask.json"
    else
      log "the Dask harness failed; see $out/dask.log"
    fi
  else
    log "Dask is not installed (apt-get install -y python3-distributed python3-numpy); no Dask column"
  fi
fi

after_rev="$(git -C "$after_dir" rev-parse --short HEAD)$(git -C "$after_dir" diff --quiet HEAD -- . ':!benchmarks/results' || echo '+uncommitted')"
{
  echo "# Before/after, $(date -u '+%Y-%m-%d %H:%M UTC')$([[ $quick == 1 ]] && echo ' (quick: not for comparison)')"
  echo
  echo "Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr), .NET SDK $(dotnet --version)."
  echo "Before: ${before_rev_full:0:7} with this checkout's benchmark program; after: $after_rev."
  echo "Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)."
  echo
  "$py" "$here/before_after_table.py" "$out/before.json" "$out/after.json" $dask_json \
    --before-label "before (${before_rev_full:0:7})" --after-label "after ($after_rev)"
} >"$out/table.md"
cat "$out/table.md"
log "results in $out (before.json, after.json, dask.json, logs, table.md)"
