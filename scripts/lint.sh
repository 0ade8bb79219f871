#!/usr/bin/env bash
# ruff (lint + format) on the repository, pylint-odoo on the addons; grep for pre-17 view syntax.
source "$(dirname "$0")/common.sh"
require_odoo
require_deps
cd "$PROJECT_ROOT"
ADDONS=(optim_relance optim_relance_demo)
rc=0
log "ruff"
"$ODOO_VENV/bin/ruff" check . || rc=1
"$ODOO_VENV/bin/ruff" format --check . || rc=1
log "pylint-odoo"
"$ODOO_VENV/bin/pylint" --rcfile=.pylintrc --disable=manifest-required-author "${ADDONS[@]}" || rc=1
log "Odoo 18 view syntax"
if grep -rnE '<tree|attrs=|states=' --include=*.xml "${ADDONS[@]}"; then
    log "old view syntax found (use <list> and invisible=/readonly= expressions)"
    rc=1
fi
((rc == 0)) && log "lint clean"
exit $rc
