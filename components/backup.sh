#!/usr/bin/env bash
# Backups of the Trillian database (MySQL): the CronJob's command, and the documented restore.
# Mounted from a ConfigMap into the database image (mysqldump, mysql, gzip, sha256sum), run by the
# e2e suite exactly as written.
#
#   backup.sh backup           dump → verify → checksum → publish → prune (the CronJob)
#   backup.sh verify FILE      checksum, gzip integrity, dump header and trailer
#   backup.sh restore FILE     verify, then load FILE into the (empty) database
#   backup.sh list             the verified backups, newest last
#
# Environment: DB_HOST DB_PORT DB_NAME DB_USER MYSQL_PWD (the password, read by the client itself,
# never in argv), BACKUP_DIR, RETENTION_DAYS (backup), DB_TLS_CA (optional: verify the server's
# certificate for DB_HOST against this CA; the internal TLS of the in-cluster database).
#
# A dump is written as <name>.partial and renamed only once verified, with its checksum beside it
# (<name>.sha256): an interrupted or corrupt run never looks like a backup. Pruning removes backups
# older than RETENTION_DAYS but never the newest verified one.
set -euo pipefail

log() { printf '%s backup: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >&2; }
fail() { log "ERROR: $*"; exit 1; }

: "${DB_HOST:?}" "${DB_PORT:?}" "${DB_NAME:?}" "${DB_USER:?}" "${MYSQL_PWD:?}" "${BACKUP_DIR:?}"
export MYSQL_PWD

# TLS options in the client's own spelling: MySQL 8 (the image) has --ssl-mode, MariaDB's client
# (the e2e suite's) --ssl-verify-server-cert.
tls_args() {
  [ -n "${DB_TLS_CA:-}" ] || return 0
  if "$1" --version | grep -qi mariadb; then
    printf '%s\n' "--ssl" "--ssl-ca=${DB_TLS_CA}" "--ssl-verify-server-cert"
  else
    printf '%s\n' "--ssl-mode=VERIFY_IDENTITY" "--ssl-ca=${DB_TLS_CA}"
  fi
}

client_args() { # $1 client binary
  local tls
  mapfile -t tls < <(tls_args "$1")
  printf '%s\n' "--host=${DB_HOST}" "--port=${DB_PORT}" "--user=${DB_USER}" "${tls[@]}"
}

verify() { # $1 dump file: checksum, gzip integrity, header and trailer of a complete mysqldump
  local file="$1" sum="$1.sha256"
  [ -s "$file" ] || fail "$file is missing or empty"
  [ -s "$sum" ] || fail "$file has no checksum file $sum"
  (cd "$(dirname "$file")" && sha256sum --check --status "$(basename "$sum")") || fail "$file does not match its checksum"
  gzip --test "$file" || fail "$file is not an intact gzip stream"
  # The first lines only (head closes the pipe early, hence `|| true` under pipefail). MariaDB's
  # client may put a sandbox-mode comment before its "-- MariaDB dump" line.
  local header
  header=$(gzip --decompress --stdout "$file" | head -n 3 || true)
  grep -Eq '^-- (MySQL|MariaDB) dump' <<<"$header" || fail "$file does not start with a mysqldump header"
  gzip --decompress --stdout "$file" | tail -n 1 | grep -q '^-- Dump completed' || fail "$file is truncated (no 'Dump completed' trailer)"
}

backup() {
  : "${RETENTION_DAYS:?}"
  mkdir -p "$BACKUP_DIR"
  local name file partial args
  name="${DB_NAME}-$(date -u +%Y%m%dT%H%M%SZ).sql.gz"
  file="$BACKUP_DIR/$name"
  partial="$file.partial"
  mapfile -t args < <(client_args mysqldump)
  log "dumping ${DB_NAME} from ${DB_HOST}:${DB_PORT}"
  # --single-transaction: one consistent InnoDB snapshot while Trillian keeps writing, no locks.
  # --hex-blob: Trillian's hashes and leaves are binary. --no-tablespaces: needs no PROCESS grant.
  mysqldump "${args[@]}" --single-transaction --quick --hex-blob --no-tablespaces --skip-lock-tables "$DB_NAME" \
    | gzip -6 > "$partial"
  (cd "$BACKUP_DIR" && sha256sum "$(basename "$partial")" | sed 's/\.partial$//' > "$name.sha256")
  mv "$partial" "$file"
  verify "$file"
  printf '{"backup":"%s","bytes":%s,"sha256":"%s"}\n' "$name" "$(wc -c < "$file")" "$(cut -d' ' -f1 "$file.sha256")"
  prune
}

prune() {
  local newest
  newest=$(list | tail -n 1)
  find "$BACKUP_DIR" -maxdepth 1 -name "${DB_NAME}-*.sql.gz" -mtime "+${RETENTION_DAYS}" | while read -r old; do
    [ "$(basename "$old")" = "$newest" ] && continue
    log "pruning $(basename "$old") (older than ${RETENTION_DAYS} days)"
    rm -f "$old" "$old.sha256"
  done
  find "$BACKUP_DIR" -maxdepth 1 -name '*.partial' -mmin +60 -delete
}

list() {
  find "$BACKUP_DIR" -maxdepth 1 -name "${DB_NAME}-*.sql.gz" -printf '%f\n' | sort
}

restore() { # $1 dump file
  local file="$1" args tables
  verify "$file"
  mapfile -t args < <(client_args mysql)
  # Refuse to load over a log: a restore is into an emptied (or freshly created) database.
  tables=$(mysql "${args[@]}" --batch --skip-column-names "$DB_NAME" -e "SELECT COUNT(*) FROM Trees" 2>/dev/null || echo 0)
  [ "$tables" = "0" ] || fail "database ${DB_NAME} already holds ${tables} tree(s); restore only into an empty database (see the runbook)"
  log "restoring $(basename "$file") into ${DB_NAME} on ${DB_HOST}:${DB_PORT}"
  gzip --decompress --stdout "$file" | mysql "${args[@]}" "$DB_NAME"
  log "restored: $(mysql "${args[@]}" --batch --skip-column-names "$DB_NAME" -e "SELECT COUNT(*) FROM Trees") tree(s)"
}

case "${1:-backup}" in
  backup) backup ;;
  verify) verify "${2:?verify FILE}"; log "$2: verified" ;;
  restore) restore "${2:?restore FILE}" ;;
  list) list ;;
  *) fail "unknown command $1 (backup, verify FILE, restore FILE, list)" ;;
esac
