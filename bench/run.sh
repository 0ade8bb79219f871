#!/usr/bin/env bash
# Benchmark of the reminder batch on a generated data set. See bench/README.md.
#   bash bench/run.sh                                   # small: 50 payers / 400 installments
#   bash bench/run.sh --payers 300 --lines 3000         # medium
#   bash bench/run.sh --payers 2000 --lines 20000       # large (the issue's case)
# Options:
#   --payers N --lines M       data set size (M = late open installments)
#   --outputs pdf,email,word   outputs to measure (default: all three)
#   --max-installments K       installments per invoice, 1..K (default 2)
#   --keep                     keep the database (and print its name)
#   --db NAME                  reuse a database kept by --keep (no install, no generation)
#   --top-queries              also count the queries by shape (names the N+1 patterns)
#   --no-memory-pass           skip the second pass under tracemalloc (no peak MB; halves the time)
#   --preview-only             selection and preview only (a cheap look at a large data set)
#   --analysis                 the collection analysis instead of the batch (bench_analysis.py:
#                              dashboard, pivots, aged balance; target < 1 s each)
#   --pdf-chunk N              letters per wkhtmltopdf run instead of the addon's PDF_CHUNK
#   --limit-memory-hard MB     address-space limit, as Odoo's limit_memory_hard (default 2560,
#                              Odoo's default; wkhtmltopdf inherits it); 0 = no limit
source "$(dirname "$0")/../scripts/common.sh"
BENCH_DIR="$PROJECT_ROOT/bench"

PAYERS=50 LINES=400 OUTPUTS=pdf,email,word KEEP= DB= ANALYSIS= EXTRA_RUN=() EXTRA_GEN=()
while (($#)); do
    case $1 in
    --payers) PAYERS=$2; shift 2 ;;
    --lines) LINES=$2; shift 2 ;;
    --outputs) OUTPUTS=$2; shift 2 ;;
    --max-installments) EXTRA_GEN+=(--max-installments "$2"); shift 2 ;;
    --keep) KEEP=1; shift ;;
    --analysis) ANALYSIS=1; shift ;;
    --db) DB=$2; shift 2 ;;
    --top-queries | --no-memory-pass | --preview-only) EXTRA_RUN+=("$1"); shift ;;
    --limit-memory-hard | --pdf-chunk) EXTRA_RUN+=("$1" "$2"); shift 2 ;;
    -h | --help) sed -n '2,20p' "$0"; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
    esac
done

require_odoo
require_postgres
require_deps

REUSE=${DB:+1}
DB=${DB:-optim_relance_bench_$$}
PORT=$(free_port)
URL="http://127.0.0.1:$PORT"
WORK=$(mktemp -d -t optim_relance_bench.XXXXXX)
SERVER_PID=

cleanup() {
    if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill "$SERVER_PID" 2>/dev/null || true
        for _ in $(seq 1 20); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.5; done
        kill -9 "$SERVER_PID" 2>/dev/null || true
    fi
    if [[ -z $KEEP && -z $REUSE ]]; then
        dropdb --if-exists "$DB" >/dev/null 2>&1 || true
        rm -f "$BENCH_DIR/out/.generation_$DB.json"
    else
        log "database kept: $DB (reuse with --db $DB; drop with: dropdb $DB)"
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

cd "$ODOO_HOME"
odoo_args=(--addons-path="$ADDONS_PATH" -d "$DB" --max-cron-threads=0)
bench() { "$PYTHON" "$BENCH_DIR/bench_relance.py" "$@" -d "$DB" --addons-path "$ADDONS_PATH"; }

if [[ -z $REUSE ]]; then
    log "fresh database $DB: installing optim_relance (no demo data)"
    t0=$(date +%s)
    dropdb --if-exists "$DB" >/dev/null 2>&1 || true
    "$PYTHON" "$ODOO_BIN" "${odoo_args[@]}" -i optim_relance --without-demo=all \
        --stop-after-init --http-port="$PORT" --log-level=warn >"$WORK/install.log" 2>&1 ||
        { tail -30 "$WORK/install.log" >&2; die "install failed"; }
    log "installed in $(($(date +%s) - t0)) s; generating $PAYERS payers / $LINES installments"
    bench generate --payers "$PAYERS" --lines "$LINES" --stats-file "$WORK/generation.json" \
        "${EXTRA_GEN[@]}"
    mkdir -p "$BENCH_DIR/out" && cp "$WORK/generation.json" "$BENCH_DIR/out/.generation_$DB.json"
else
    psql -d "$DB" -Atc 'select 1' >/dev/null 2>&1 || die "no database $DB"
    if [[ -f $BENCH_DIR/out/.generation_$DB.json ]]; then
        cp "$BENCH_DIR/out/.generation_$DB.json" "$WORK/generation.json"
    fi
fi

# wkhtmltopdf loads the report CSS from web.base.url / report.url: our server.
psql -d "$DB" -q >/dev/null <<SQL
INSERT INTO ir_config_parameter (key, value, create_uid, write_uid, create_date, write_date)
VALUES ('web.base.url', '$URL', 1, 1, now(), now()), ('report.url', '$URL', 1, 1, now(), now()),
       ('web.base.url.freeze', 'True', 1, 1, now(), now())
ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value;
SQL

log "Odoo HTTP server on $URL (log: $WORK/server.log)"
"$PYTHON" "$ODOO_BIN" "${odoo_args[@]}" --db-filter="^$DB\$" --http-interface=127.0.0.1 \
    --http-port="$PORT" --gevent-port="$(free_port)" --log-level=warn --workers=0 \
    >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 120); do
    curl -sf -o /dev/null "$URL/web/health" && break
    kill -0 "$SERVER_PID" 2>/dev/null || { tail -30 "$WORK/server.log" >&2; die "server died"; }
    sleep 0.5
done
curl -sf -o /dev/null "$URL/web/health" || die "server not answering on $URL"
# One static file first: the server reads every manifest on the first one, and
# wkhtmltopdf's parallel first requests can trip CPython 3.11's "AST constructor
# recursion depth mismatch" in that lazy read (a 500, the PDF loses its CSS).
curl -sf -o /dev/null "$URL/web/static/img/favicon.ico" || true

rc=0
if [[ -n $ANALYSIS ]]; then
    "$PYTHON" "$BENCH_DIR/bench_analysis.py" -d "$DB" --addons-path "$ADDONS_PATH" || rc=$?
else
    bench run --payers "$PAYERS" --lines "$LINES" --outputs "$OUTPUTS" \
        --generation-stats "$WORK/generation.json" "${EXTRA_RUN[@]}" || rc=$?
fi
if grep -qE ' (ERROR|CRITICAL) ' "$WORK/server.log"; then
    mkdir -p "$BENCH_DIR/out"
    cp "$WORK/server.log" "$BENCH_DIR/out/server-$DB.log"
    log "errors in the server log (copied to bench/out/server-$DB.log):"
    grep -E ' (ERROR|CRITICAL) ' "$WORK/server.log" | tail -5 >&2
fi
exit $rc
