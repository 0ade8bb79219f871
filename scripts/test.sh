#!/usr/bin/env bash
# The whole test suite on a fresh database: Odoo's tests (unit, HTTP, tours)
# then the end-to-end suite (real SMTP delivery), then the lint.
#   TEST_TAGS=/optim_relance:TestFoo bash scripts/test.sh   to run a subset
#   SKIP_E2E=1 / SKIP_LINT=1                                  to skip a stage
#   WITHOUT_DEMO=1                                            no demo data (faster)
source "$(dirname "$0")/common.sh"
require_odoo
require_postgres
require_deps

DB=${TEST_DB:-optim_relance_test_$$}
LOG=$(mktemp -t optim_relance_test.XXXXXX.log)
PORT=$(free_port)
dropdb --if-exists "$DB" >/dev/null 2>&1 || true
cleanup() {
    dropdb --if-exists "$DB" >/dev/null 2>&1 || true
    rm -rf "${HOME}/.local/share/Odoo/filestore/$DB"
}
[[ -n ${KEEP_DB:-} ]] || trap cleanup EXIT

log "Odoo tests on fresh database $DB (log: $LOG)"
set +e
# Odoo writes to the log file, not to a pipe: a browser a tour leaves behind
# (Odoo gives up on one that starts too slowly) inherits its output and would
# hold a pipe open after Odoo exits. The filtered lines follow the file.
"$PYTHON" "$ODOO_BIN" --addons-path="$ADDONS_PATH" -d "$DB" \
    -i optim_relance --test-enable --test-tags "${TEST_TAGS:-/optim_relance}" \
    --stop-after-init --http-interface=127.0.0.1 --http-port="$PORT" \
    --log-level=test --max-cron-threads=0 ${WITHOUT_DEMO:+--without-demo=all} >"$LOG" 2>&1 &
odoo_pid=$!
tail -n +1 -f --pid="$odoo_pid" "$LOG" | grep -E --line-buffered \
    ' (ERROR|CRITICAL|WARNING) |odoo\.tests\.(result|stats)|^(FAIL|ERROR):|Traceback|^\s+File|Error:|^odoo\.' &
filter_pid=$!
wait "$odoo_pid"
odoo_rc=$?
wait "$filter_pid"
# Browsers of this run's tours that Odoo lost track of.
pkill -f "_chrome_odoo" 2>/dev/null
set -e

result=$(grep -E 'odoo\.tests\.result: .* of [0-9]+ tests' "$LOG" | tail -1 || true)
total=$(sed -nE 's/.* of ([0-9]+) tests.*/\1/p' <<<"$result")
failed=$(sed -nE 's/.*: ([0-9]+) failed, ([0-9]+) error.*/\1+\2/p' <<<"$result")
failed=$((${failed:-0}))
if [[ -z $total ]]; then
    log "no test result line in the Odoo log: the install or the test run broke"
    tail -40 "$LOG" >&2
    echo "0 passed, 1 failed"
    exit 1
fi
passed=$((total - failed))
rc=0
if ((odoo_rc != 0 || failed > 0 || total == 0)); then rc=1; fi

e2e_passed=0 e2e_failed=0
if [[ -z ${SKIP_E2E:-} && -d "$PROJECT_ROOT/tests_e2e" && -z ${TEST_TAGS:-} ]]; then
    log "end-to-end suite (Odoo server + real SMTP on loopback)"
    if "$PYTHON" -m unittest discover -s "$PROJECT_ROOT/tests_e2e" -t "$PROJECT_ROOT" -v 2>&1 | tee -a "$LOG" >"$LOG.e2e"; then
        e2e_passed=$(grep -cE '\.\.\. ok$' "$LOG.e2e" || true)
    else
        rc=1
        e2e_passed=$(grep -cE '\.\.\. ok$' "$LOG.e2e" || true)
        e2e_failed=$(grep -cE '\.\.\. (FAIL|ERROR)$' "$LOG.e2e" || true)
        ((e2e_failed > 0)) || e2e_failed=1
    fi
    cat "$LOG.e2e" >&2
fi

if [[ -z ${SKIP_LINT:-} && -z ${TEST_TAGS:-} ]]; then
    bash "$PROJECT_ROOT/scripts/lint.sh" || rc=1
fi

log "Odoo: $passed/$total passed; end-to-end: $e2e_passed passed, $e2e_failed failed"
echo "$((passed + e2e_passed)) passed, $((failed + e2e_failed)) failed"
exit $rc
