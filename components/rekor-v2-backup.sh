#!/bin/sh
# Backups of a Rekor v2 log's volume (rekor-tiles, POSIX storage): the CronJob's command, and the
# documented restore. Mounted from a ConfigMap into the read path's image (busybox sh, tar, gzip,
# sha256sum), run by the e2e suite exactly as written.
#
#   rekor-v2-backup.sh backup           copy → archive → checksum → publish → verify → prune (the CronJob)
#   rekor-v2-backup.sh verify FILE      checksums, gzip integrity, tiles, checkpoint and tree state present
#   rekor-v2-backup.sh restore FILE     verify, then unpack FILE into the (stopped, empty) log directory
#   rekor-v2-backup.sh list             the verified backups, newest last
#
# Environment: LOG_DIR (the log's volume, read-only for backup), LOG_NAME (archive name prefix),
# BACKUP_DIR, RETENTION_DAYS (backup).
#
# Consistency while the server writes: the checkpoint is copied first, then the tree state, then
# the tiles and entry bundles. Tiles only grow (a partial tile is superseded by a fuller one, which
# the server falls back to reading), so every tile the saved tree state needs is still there when
# it is copied, and the archive is what a crash at that instant would have left: the server resumes
# from it. The deduplication index (.state/antispam) is not archived: the server rebuilds it by
# following the log. An archive is written as <name>.partial and renamed only once complete, with
# its checksums beside it; a log unchanged since its newest archive (same checkpoint) is not archived
# again. Pruning removes archives older than RETENTION_DAYS but never the newest.
set -eu

log() { printf '%s rekor-v2-backup: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >&2; }
fail() { log "ERROR: $*"; exit 1; }

: "${LOG_DIR:?}" "${LOG_NAME:?}" "${BACKUP_DIR:?}"

list() { # verified backups (their tile archives), oldest first (the names sort by time)
  find "$BACKUP_DIR" -maxdepth 1 -name "${LOG_NAME}-*.tar.gz" | sort | while read -r f; do
    [ -s "$f.sha256" ] && printf '%s\n' "$f"
  done
}

# A backup is <name>.tar.gz (tile/), <name>.checkpoint and <name>.treeState, with <name>.tar.gz.sha256
# covering all three. The checkpoint and the tree state are files of their own, copied before the
# tiles are archived straight from the volume: no staging copy of the log.
verify() { # $1 a backup's tile archive
  file="$1"
  base="${file%.tar.gz}"
  [ -s "$file" ] || fail "$file is missing or empty"
  [ -s "$file.sha256" ] || fail "$file has no checksum file $file.sha256"
  for part in checkpoint treeState; do [ -s "$base.$part" ] || fail "$file has no $base.$part"; done
  (cd "$(dirname "$file")" && sha256sum -c "$(basename "$file").sha256" > /dev/null) || fail "$file does not match its checksums"
  gzip -t "$file" || fail "$file is not an intact gzip stream"
  tar -tzf "$file" | grep -Eq "^(\./)?tile/" || fail "$file holds no tiles"
}

backup() {
  : "${RETENTION_DAYS:?}"
  [ -s "$LOG_DIR/checkpoint" ] || fail "$LOG_DIR holds no checkpoint: not a Rekor v2 log (yet)"
  mkdir -p "$BACKUP_DIR"
  name="${LOG_NAME}-$(date -u +%Y%m%dT%H%M%SZ)"
  base="$BACKUP_DIR/$name"
  trap 'rm -f "$base.partial" "$base.checkpoint.partial" "$base.treeState.partial"' EXIT
  # Order matters (see the header): checkpoint, tree state, then the tiles they refer to.
  cp "$LOG_DIR/checkpoint" "$base.checkpoint.partial"
  cp "$LOG_DIR/.state/treeState" "$base.treeState.partial"
  newest=$(list | tail -n 1)
  if [ -n "$newest" ] && cmp -s "$base.checkpoint.partial" "${newest%.tar.gz}.checkpoint"; then
    log "unchanged since $(basename "$newest"): nothing to archive"
    prune
    return 0
  fi
  tar -C "$LOG_DIR" -czf "$base.partial" tile
  mv "$base.checkpoint.partial" "$base.checkpoint"
  mv "$base.treeState.partial" "$base.treeState"
  (cd "$BACKUP_DIR" && sha256sum "$name.partial" "$name.checkpoint" "$name.treeState" | sed 's/\.partial$/.tar.gz/' > "$name.tar.gz.sha256")
  mv "$base.partial" "$base.tar.gz"
  verify "$base.tar.gz"
  printf '{"backup":"%s","bytes":%s,"treeSize":%s,"sha256":"%s"}\n' "$name.tar.gz" "$(wc -c < "$base.tar.gz")" "$(sed -n 2p "$base.checkpoint")" \
    "$(head -n 1 "$base.tar.gz.sha256" | cut -d' ' -f1)"
  prune
}

prune() {
  : "${RETENTION_DAYS:?}"
  newest=$(list | tail -n 1)
  find "$BACKUP_DIR" -maxdepth 1 -name "${LOG_NAME}-*.tar.gz" -mtime "+${RETENTION_DAYS}" | while read -r old; do
    [ "$old" = "$newest" ] && continue
    log "pruning $(basename "$old")"
    rm -f "$old" "$old.sha256" "${old%.tar.gz}.checkpoint" "${old%.tar.gz}.treeState"
  done
}

restore() { # $1 a backup's tile archive: into an empty log directory, with the server stopped
  file="$1"
  verify "$file"
  if [ -n "$(ls -A "$LOG_DIR" 2>/dev/null)" ]; then fail "$LOG_DIR is not empty: stop the server and empty the volume first"; fi
  tar -C "$LOG_DIR" -xzf "$file"
  cp "${file%.tar.gz}.checkpoint" "$LOG_DIR/checkpoint"
  mkdir -p "$LOG_DIR/.state"
  chmod 700 "$LOG_DIR/.state"
  cp "${file%.tar.gz}.treeState" "$LOG_DIR/.state/treeState"
  log "restored $(basename "$file"): tree size $(sed -n 2p "$LOG_DIR/checkpoint"); the server rebuilds its deduplication index on start"
}

case "${1:-}" in
  backup) backup ;;
  verify) verify "${2:?archive}" ;;
  restore) restore "${2:?archive}" ;;
  list) list ;;
  *) fail "usage: $0 backup | verify FILE | restore FILE | list" ;;
esac
