#!/usr/bin/env bash
# `make demo`: a fresh French database with the addon and its demo data
# (Bâtiments Durand & Fils, customers, 18 months of invoices, payments and
# reminders), then Odoo in the foreground on http://127.0.0.1:$DEMO_PORT.
#
#   bash scripts/demo.sh              build the database, then start Odoo
#   bash scripts/demo.sh --no-start   only build the database (or DEMO_NO_START=1)
#
#   DEMO_DB    database name, dropped first   (default optim_relance_demo)
#   DEMO_PORT  HTTP port                      (default 8069)
source "$(dirname "$0")/common.sh"

usage() { sed -n '2,11s/^# \{0,1\}//p' "$0"; }

NO_START=${DEMO_NO_START:-}
for arg in "$@"; do
    case $arg in
        --no-start) NO_START=1 ;;
        -h | --help) usage; exit 0 ;;
        *) usage >&2; die "unknown option: $arg" ;;
    esac
done

DB=${DEMO_DB:-optim_relance_demo}
PORT=${DEMO_PORT:-8069}
[[ $DB =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]*$ ]] || die "invalid database name: $DB"
[[ $PORT =~ ^[0-9]+$ ]] || die "invalid port: $PORT"

require_odoo
require_postgres
require_deps

port_is_free() {
    "$PYTHON" -c 'import socket, sys
s = socket.socket()
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)' "$1"
}
if [[ -z $NO_START ]] && ! port_is_free "$PORT"; then
    die "port $PORT is already in use on 127.0.0.1: stop what uses it, or choose another one with DEMO_PORT=8070 make demo"
fi

START=$SECONDS
LOG=$(mktemp -t optim_relance_demo.XXXXXX.log)
log "building the demo database $DB (log: $LOG)"

# Odoo's own database creation, as the database manager does it: country
# France and language French, so Odoo picks the French chart of accounts
# and loads the French translations. Dropping it first also removes its
# filestore.
(
    cd "$ODOO_HOME"
    "$PYTHON" - "$DB" "$ADDONS_PATH" <<'PY'
import sys

import odoo
from odoo.service import db as db_service
from odoo.tools import config

name, addons_path = sys.argv[1], sys.argv[2]
config.parse_config([f"--addons-path={addons_path}", "--log-level=warn"])
if name in db_service.list_dbs(force=True):
    db_service.exp_drop(name)
db_service.exp_create_database(name, True, "fr_FR", "admin", "admin", "FR", "")

registry = odoo.modules.registry.Registry(name)
with registry.cursor() as cr:
    env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
    company = env.ref("base.main_company")
    if company.country_id.code != "FR" or not env["res.lang"]._lang_get("fr_FR"):
        sys.exit(f"database {name} was not created in French (see the errors above)")
PY
) >>"$LOG" 2>&1 || { tail -30 "$LOG" >&2; die "could not create the database $DB"; }

run_odoo() {
    "$PYTHON" "$ODOO_BIN" --addons-path="$ADDONS_PATH" -d "$DB" --stop-after-init \
        --no-http --max-cron-threads=0 "$@" >>"$LOG" 2>&1 ||
        { tail -40 "$LOG" >&2; die "Odoo failed ($*), see $LOG"; }
}

# Two runs: Odoo loads the chart of accounts of the country once all the
# modules of a run are installed, so the French chart (l10n_fr_account) must
# be there before the demo addon (optim_relance_demo, which depends on
# optim_relance) creates its data with the chart's accounts and taxes.
log "installing the French accounting (l10n_fr_account)"
run_odoo -i l10n_fr_account
log "installing optim_relance_demo (optim_relance and its demo data)"
run_odoo -i optim_relance_demo

log "checking the database"
(
    cd "$ODOO_HOME"
    "$PYTHON" "$ODOO_BIN" shell --addons-path="$ADDONS_PATH" -d "$DB" --no-http \
        --log-level=warn <<'PY'
import sys
from collections import Counter

company = env.ref("base.main_company")
Line = env["account.move.line"]
open_domain = Line._relance_open_domain() + [("company_id", "=", company.id)]
lines = Line.search(open_domain)
buckets = Counter()
for line in lines:
    days = line.reminder_days_late
    buckets[
        "not yet due" if days <= 0 else "1-30 days" if days <= 30 else "31-60 days"
        if days <= 60 else "61-90 days" if days <= 90 else "over 90 days"
    ] += 1
levels = Counter(lines.mapped("reminder_level"))
invoices = env["account.move"].search_count(
    [("company_id", "=", company.id), ("move_type", "=", "out_invoice"), ("state", "=", "posted")]
)
print(f"  company        {company.name} (chart {company.chart_template}, {company.partner_id.lang})")
print(f"  invoices       {invoices} posted")
print(f"  to collect     {len(lines)} installments: "
      + ", ".join(f"{buckets[b]} {b}" for b in
                  ("not yet due", "1-30 days", "31-60 days", "61-90 days", "over 90 days")))
print(f"  reminded       level 1: {levels[1]}, level 2: {levels[2]}, level 3: {levels[3]}")
def count(domain):
    return Line.search_count(open_domain + domain)
held = [("reminder_blocked", "=", True)]
worklist = {
    "to remind today": count([("reminder_to_do", "=", True)]),
    "disputes": count(held + [("reminder_block_reason", "=", "dispute")]),
    "promise pending": count(held + [("reminder_block_reason", "=", "promise")]),
    "promise broken": count([("reminder_promise_broken", "=", True)]),
    "payer excluded": env["res.partner"].search_count([("reminder_excluded", "=", True)]),
}
print("  worklist       " + ", ".join(f"{n} {name}" for name, n in worklist.items()))
if company.chart_template != "fr" or not lines or not levels[1] or not worklist["to remind today"]:
    print("  the demo data is missing or the chart of accounts is not the French one")
    sys.exit(1)
PY
) 2>>"$LOG" || die "the demo database is not as expected, see $LOG"

log "demo database $DB ready in $((SECONDS - START)) s"
if [[ -n $NO_START ]]; then
    log "not starting Odoo (--no-start). To start it:"
    log "  $PYTHON $ODOO_BIN --addons-path=$ADDONS_PATH -d $DB --db-filter='^$DB\$' --http-interface=127.0.0.1 --http-port=$PORT"
    exit 0
fi

cat >&2 <<EOF

  Optim'Relance demo
  ------------------
  URL        http://127.0.0.1:$PORT
             then Facturation > Clients > Échéances à régler
  Login      admin
  Password   admin
  Database   $DB

  Stop with Ctrl+C.

EOF
exec "$PYTHON" "$ODOO_BIN" --addons-path="$ADDONS_PATH" -d "$DB" --db-filter="^$DB\$" \
    --http-interface=127.0.0.1 --http-port="$PORT"
