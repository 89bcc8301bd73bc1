# Shared by the benchmark scripts (sourced, not run): the release binary, the seeded demo
# databases (cached), and timing helpers.
#
# Seeded databases are cached under $BENCH_CACHE (default ~/.cache/outcomes-bench), keyed
# by scale, seed, as-of date and a hash of what decides their rows (src/demo, migrations),
# so that a rerun does not seed again. Delete the directory to start afresh.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/outcomes-target}"
BENCH_CACHE="${BENCH_CACHE:-$HOME/.cache/outcomes-bench}"
PGURL_BASE="${PGURL_BASE:-postgres://postgres@127.0.0.1:5432}"
SEED="${SEED:-1}"
AS_OF="${AS_OF:-2026-11-01}"
mkdir -p "$BENCH_CACHE"
export OUTCOMES_KEY_FILE="$BENCH_CACHE/bench.key" OUTCOMES_LOG=warn

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
now() { date +%s.%N; }
ratio() { echo "scale=2; $1 / $2" | bc -l; }

# The release binary (with PDF), copied out of the shared target directory so that another
# worktree's build cannot replace it mid-run.
bench_binary() {
  if [ -z "${BIN:-}" ]; then
    cargo build --release --quiet
    BIN="$BENCH_CACHE/outcomes-$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src migrations Cargo.lock || echo -dirty)"
    cp "$CARGO_TARGET_DIR/release/outcomes" "$BIN.tmp" && mv "$BIN.tmp" "$BIN"
  fi
  export BIN
}

demo_version() {
  git ls-files -s src/demo migrations | sha256sum | cut -c1-12
}

# demo_sqlite SCALE: prints the path of a SQLite database seeded with `outcomes demo`.
demo_sqlite() {
  local scale="$1" db
  db="$BENCH_CACHE/demo-$scale-seed$SEED-$AS_OF-$(demo_version).db"
  if [ ! -f "$db.done" ]; then
    rm -f "$db" "$db-wal" "$db-shm"
    echo "  seeding $scale demo on SQLite (cached in $db)" >&2
    local t0 t1; t0=$(now)
    DATABASE_URL="sqlite://$db" "$BIN" demo --scale "$scale" --seed "$SEED" --as-of "$AS_OF" >/dev/null 2>&1
    t1=$(now)
    echo "$t1 - $t0" | bc > "$db.done"
    echo "  seeded in $(cat "$db.done") s" >&2
  fi
  echo "$db"
}

# demo_postgres SCALE: prints the URL of a PostgreSQL database seeded the same way.
demo_postgres() {
  local scale="$1" name marker
  name="outcomes_bench_${scale}_s${SEED}_${AS_OF//-/}_$(demo_version)"
  marker="$BENCH_CACHE/$name.done"
  if [ ! -f "$marker" ] || ! psql "$PGURL_BASE/$name" -qAtc 'SELECT 1' >/dev/null 2>&1; then
    psql "$PGURL_BASE/postgres" -q -c "DROP DATABASE IF EXISTS $name" -c "CREATE DATABASE $name" >/dev/null
    echo "  seeding $scale demo on PostgreSQL ($name)" >&2
    local t0 t1; t0=$(now)
    DATABASE_URL="$PGURL_BASE/$name" "$BIN" demo --scale "$scale" --seed "$SEED" --as-of "$AS_OF" >/dev/null 2>&1
    t1=$(now)
    echo "$t1 - $t0" | bc > "$marker"
    echo "  seeded in $(cat "$marker") s" >&2
  fi
  echo "$PGURL_BASE/$name"
}

# largest_programme DB FROM TO: "programme|organisation" with the most referrals in the period.
largest_programme() {
  sqlite3 "$1" "SELECT p.name || '|' || o.name FROM referrals r
    JOIN programmes p ON p.id = r.programme_id JOIN organisations o ON o.id = p.organisation_id
    WHERE r.referred_on BETWEEN '$2' AND '$3' GROUP BY p.id ORDER BY count(*) DESC, p.id LIMIT 1"
}

# time_runs N CMD...: runs CMD N times, prints the median wall time in seconds.
time_runs() {
  local n="$1"; shift
  local times=() t0 t1
  for _ in $(seq 1 "$n"); do
    t0=$(now); "$@" >/dev/null 2>&1; t1=$(now)
    times+=("$(echo "$t1 - $t0" | bc)")
  done
  printf '%s\n' "${times[@]}" | median
}

# quiet CMD...: runs CMD, showing its output only if it fails.
quiet() {
  local log; log=$(mktemp)
  if ! "$@" >"$log" 2>&1; then cat "$log" >&2; rm -f "$log"; return 1; fi
  rm -f "$log"
}
