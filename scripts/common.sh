#!/usr/bin/env bash
# Shared by the project's scripts: where Odoo is, PostgreSQL up, our deps installed.
set -euo pipefail

PROJECT_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ODOO_HOME=${ODOO_HOME:-/opt/odoo/18.0}
ODOO_VENV=${ODOO_VENV:-/opt/odoo/venv}
PYTHON="$ODOO_VENV/bin/python"
ODOO_BIN="$ODOO_HOME/odoo-bin"
ADDONS_PATH="$ODOO_HOME/addons,$ODOO_HOME/odoo/addons,$PROJECT_ROOT"
export PROJECT_ROOT ODOO_HOME ODOO_VENV PYTHON ODOO_BIN ADDONS_PATH

log() { printf '[optim_relance] %s\n' "$*" >&2; }
die() { printf '[optim_relance] ERROR: %s\n' "$*" >&2; exit 2; }

require_odoo() {
    if [[ ! -f "$ODOO_BIN" || ! -x "$PYTHON" ]]; then
        die "Odoo 18.0 runtime not found (ODOO_HOME=$ODOO_HOME, ODOO_VENV=$ODOO_VENV).
  In this workplace: follow ../shared/odoo/README.md (fetch github:hlaadhari/odoo-18.0,
  then bash ../shared/odoo/setup.sh <git dir>).
  Elsewhere: git clone -b 18.0 --depth 1 https://github.com/odoo/odoo \$ODOO_HOME and
  python3 -m venv \$ODOO_VENV && \$ODOO_VENV/bin/pip install -r \$ODOO_HOME/requirements.txt"
    fi
}

require_postgres() {
    if ! pg_isready -q 2>/dev/null; then
        log "PostgreSQL is down: starting it"
        if command -v pg_ctlcluster >/dev/null && pg_lsclusters -h 2>/dev/null | grep -q .; then
            read -r ver name _ < <(pg_lsclusters -h | head -1)
            pg_ctlcluster "$ver" "$name" start || true
        else
            service postgresql start || true
        fi
        for _ in $(seq 1 30); do pg_isready -q && break; sleep 1; done
        pg_isready -q || die "PostgreSQL could not be started"
    fi
    if ! psql -d postgres -Atc 'select 1' >/dev/null 2>&1; then
        log "creating a PostgreSQL superuser role for $(id -un)"
        su postgres -c "createuser -s $(id -un)" || die "cannot create a PostgreSQL role for $(id -un)"
    fi
}

require_deps() {
    # The addon's own Python dependencies and test/lint tools, into Odoo's venv.
    local stamp="$ODOO_VENV/.optim_relance_requirements"
    if [[ ! -f "$stamp" ]] || ! cmp -s "$PROJECT_ROOT/requirements.txt" "$stamp"; then
        log "installing requirements.txt into $ODOO_VENV"
        "$ODOO_VENV/bin/pip" install -q -r "$PROJECT_ROOT/requirements.txt"
        cp "$PROJECT_ROOT/requirements.txt" "$stamp"
    fi
    local missing=()
    command -v soffice >/dev/null || missing+=(libreoffice-writer-nogui)
    command -v pdftotext >/dev/null || missing+=(poppler-utils)
    command -v chromium >/dev/null || missing+=(chromium)
    if ((${#missing[@]})); then
        log "installing Debian packages: ${missing[*]}"
        if [[ $(id -u) -eq 0 ]]; then
            apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive \
                apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
        else
            die "missing Debian packages: ${missing[*]} (apt-get install them as root)"
        fi
    fi
}

free_port() {
    "$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
