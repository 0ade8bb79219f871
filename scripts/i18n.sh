#!/usr/bin/env bash
# Translations: regenerate optim_relance/i18n/optim_relance.pot from a fresh
# database, merge it into optim_relance/i18n/fr.po, report what is left to
# translate.
#   bash scripts/i18n.sh           update the .pot and fr.po, print the count
#   bash scripts/i18n.sh --check   same, then exit 1 if a string is untranslated
#                                  or fr.po is malformed
# After it, translate the empty msgstr "" of fr.po (new strings) and commit
# both files.
source "$(dirname "$0")/common.sh"

CHECK=
for arg in "$@"; do
    case $arg in
        --check) CHECK=1 ;;
        -h | --help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown argument: $arg (usage: $0 [--check])" ;;
    esac
done

require_odoo
require_postgres
require_deps

require_gettext() {
    local tool
    for tool in msgmerge msgattrib msgfmt msginit; do
        command -v "$tool" >/dev/null && continue
        log "installing Debian package gettext ($tool is missing)"
        if [[ $(id -u) -eq 0 ]]; then
            apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive \
                apt-get install -y -q --no-install-recommends gettext >/dev/null
        else
            die "missing Debian package gettext (apt-get install it as root)"
        fi
        break
    done
    for tool in msgmerge msgattrib msgfmt msginit; do
        command -v "$tool" >/dev/null || die "$tool not found after installing gettext"
    done
}
require_gettext

I18N_DIR="$PROJECT_ROOT/optim_relance/i18n"
POT="$I18N_DIR/optim_relance.pot"
PO="$I18N_DIR/fr.po"
mkdir -p "$I18N_DIR"

DB=${I18N_DB:-optim_relance_i18n_$$}
LOG=$(mktemp -t optim_relance_i18n.XXXXXX.log)
TMP_POT=$(mktemp -t optim_relance_i18n.XXXXXX.pot)
cleanup() {
    dropdb --if-exists "$DB" >/dev/null 2>&1 || true
    rm -f "$TMP_POT"
}
trap cleanup EXIT
dropdb --if-exists "$DB" >/dev/null 2>&1 || true

log "installing optim_relance (no demo data) on temporary database $DB (log: $LOG)"
if ! "$PYTHON" "$ODOO_BIN" --addons-path="$ADDONS_PATH" -d "$DB" -i optim_relance \
    --without-demo=all --stop-after-init --max-cron-threads=0 \
    --log-level=warn >"$LOG" 2>&1; then
    tail -40 "$LOG" >&2
    die "installing optim_relance failed (see $LOG)"
fi
if grep -qE ' (ERROR|CRITICAL) ' "$LOG"; then
    grep -E -A20 ' (ERROR|CRITICAL) ' "$LOG" | head -60 >&2
    die "errors while installing optim_relance (see $LOG)"
fi

log "exporting the translation template"
if ! "$PYTHON" "$ODOO_BIN" --addons-path="$ADDONS_PATH" -d "$DB" \
    --i18n-export="$TMP_POT" --modules=optim_relance --stop-after-init \
    --log-level=warn >>"$LOG" 2>&1; then
    tail -40 "$LOG" >&2
    die "exporting the translation template failed (see $LOG)"
fi
[[ -s $TMP_POT ]] || die "the exported template is empty (see $LOG)"

# Keep the committed .pot when only its timestamps would change.
strip_dates() { grep -vE '^"(POT-Creation-Date|PO-Revision-Date): ' "$1"; }
if [[ -f $POT ]] && cmp -s <(strip_dates "$POT") <(strip_dates "$TMP_POT"); then
    log "optim_relance.pot is up to date"
else
    cp "$TMP_POT" "$POT"
    log "optim_relance.pot updated"
fi

if [[ ! -f $PO ]]; then
    log "creating fr.po from the template"
    msginit --no-translator --locale=fr_FR.UTF-8 --input="$POT" --output-file="$PO" 2>/dev/null
    # msginit writes Language: fr and French plural forms; make sure of them.
    sed -i -E \
        -e 's/^"Language: .*\\n"$/"Language: fr\\n"/' \
        -e 's/^"Plural-Forms: .*\\n"$/"Plural-Forms: nplurals=2; plural=(n > 1);\\n"/' \
        -e 's/^"Content-Type: text\/plain; charset=.*\\n"$/"Content-Type: text\/plain; charset=UTF-8\\n"/' \
        -e 's/^"Last-Translator: .*\\n"$/"Last-Translator: \\n"/' \
        -e 's/^"Language-Team: .*\\n"$/"Language-Team: French\\n"/' \
        "$PO"
else
    PO_BEFORE=$(mktemp -t optim_relance_i18n.XXXXXX.po)
    cp "$PO" "$PO_BEFORE"
    msgmerge --quiet --update --backup=none --no-fuzzy-matching "$PO" "$POT"
    # msgmerge keeps strings gone from the code as obsolete (#~): drop them.
    msgattrib --no-obsolete --output-file="$PO" "$PO"
    # Same for fr.po: don't rewrite it for a new POT-Creation-Date alone.
    if cmp -s <(strip_dates "$PO_BEFORE") <(strip_dates "$PO"); then
        cp "$PO_BEFORE" "$PO"
    fi
    rm -f "$PO_BEFORE"
fi

rc=0
if ! msgfmt --check-format -o /dev/null "$PO"; then
    log "fr.po does not compile (msgfmt --check-format)"
    rc=1
fi

total=$(msgattrib --no-obsolete "$PO" | grep -c '^msgid ' || true)
total=$((total > 0 ? total - 1 : 0)) # minus the header
untranslated=$(msgattrib --untranslated --no-obsolete "$PO" | grep -c '^msgid ' || true)
untranslated=$((untranslated > 0 ? untranslated - 1 : 0))
fuzzy=$(msgattrib --only-fuzzy --no-obsolete "$PO" | grep -c '^msgid ' || true)
fuzzy=$((fuzzy > 0 ? fuzzy - 1 : 0))

log "fr.po: $total strings, $untranslated untranslated, $fuzzy fuzzy"
echo "$untranslated untranslated"
if [[ -n $CHECK ]] && ((untranslated > 0 || fuzzy > 0)); then
    log "untranslated strings (msgattrib --untranslated optim_relance/i18n/fr.po):"
    for filter in --untranslated --only-fuzzy; do
        # the entries without the header (up to the first blank line)
        msgattrib "$filter" --no-obsolete --no-location --no-wrap "$PO" | sed '1,/^$/d'
    done | head -60 >&2 || true
    rc=1
fi
rm -f "$LOG"
exit $rc
