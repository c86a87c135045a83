# shellcheck shell=sh
# The host lock: `mkdir $ROOT/lock` is the atomic test-and-set; `info` inside names the holder.
# A lock whose process is gone is taken over under a second mutex (`lock.takeover`), so two
# takers can never both remove it, and the dead transaction is then finished by its own script
# (`tx.sh recover`) before this one starts. Needs journal.sh (lock_field, tx_alive, tx_final).

HAVE_LOCK=0
HOLDER_TXID='' HOLDER_PID='' HOLDER_OWNER='' HOLDER_STARTED=''
RECOVERED_TXID='' RECOVERED_PID='' RECOVERED_OWNER='' RECOVERED_STARTED=''

read_holder() {
  HOLDER_TXID=$(lock_field txid "$LOCK/info")
  HOLDER_PID=$(lock_field pid "$LOCK/info")
  HOLDER_OWNER=$(lock_field owner "$LOCK/info")
  HOLDER_STARTED=$(lock_field started "$LOCK/info")
}

lock_write_info() {
  {
    printf 'txid=%s\n' "$TXID"
    printf 'pid=%s\n' "$$"
    printf 'owner=%s\n' "$OWNER"
    printf 'started=%s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  } > "$LOCK/info.tmp" && mv -f "$LOCK/info.tmp" "$LOCK/info"
}

# 0: acquired; 1: a live transaction holds it (HOLDER_* say which); 2: cannot lock.
lock_acquire() {
  mkdir -p "$ROOT" 2>/dev/null
  la_end=$(( $(now_ms) + 5000 ))
  while :; do
    if mkdir "$LOCK" 2>/dev/null; then
      HAVE_LOCK=1
      lock_write_info && return 0
      echo "cannot write $LOCK/info"
      return 2
    fi
    if [ -d "$LOCK" ]; then
      read_holder
      if tx_alive "$HOLDER_PID" "$HOLDER_TXID"; then
        # A holder that has already finished is only releasing; give it a moment.
        if tx_final "$(tx_last_state "$J/$HOLDER_TXID")" && [ "$(now_ms)" -lt "$la_end" ]; then
          nap
          continue
        fi
        echo "locked by transaction $HOLDER_TXID (pid $HOLDER_PID, $HOLDER_OWNER, since $HOLDER_STARTED)"
        return 1
      fi
      # No info yet means a holder between mkdir and writing it; only a lasting gap is stale.
      if [ -n "$HOLDER_PID" ] || [ "$(now_ms)" -ge "$la_end" ]; then
        lock_take_over && continue
      fi
    fi
    if [ "$(now_ms)" -ge "$la_end" ]; then
      echo "cannot create the lock directory $LOCK"
      return 2
    fi
    nap
  done
}

lock_take_over() {
  if ! mkdir "$LOCK.takeover" 2>/dev/null; then
    lt_holder=$(cat "$LOCK.takeover/pid" 2>/dev/null)
    if [ -n "$lt_holder" ] && ! kill -0 "$lt_holder" 2>/dev/null; then rm -rf "$LOCK.takeover"; fi
    if [ -z "$lt_holder" ] && [ "$(now_ms)" -ge "$la_end" ]; then rm -rf "$LOCK.takeover"; fi
    nap
    return 1
  fi
  echo "$$" > "$LOCK.takeover/pid"
  lt_txid=$HOLDER_TXID lt_pid=$HOLDER_PID
  read_holder
  lt_ok=1
  if [ "$HOLDER_TXID" = "$lt_txid" ] && [ "$HOLDER_PID" = "$lt_pid" ] && ! tx_alive "$HOLDER_PID" "$HOLDER_TXID"; then
    if rm -rf "$LOCK"; then
      lt_ok=0
      RECOVERED_TXID=$HOLDER_TXID RECOVERED_PID=$HOLDER_PID RECOVERED_OWNER=$HOLDER_OWNER RECOVERED_STARTED=$HOLDER_STARTED
      echo "took over the stale lock of transaction ${HOLDER_TXID:-?} (pid ${HOLDER_PID:-?} is gone; $HOLDER_OWNER, since $HOLDER_STARTED)"
      log "stale lock of transaction ${HOLDER_TXID:-?} (pid ${HOLDER_PID:-?}) recovered"
    fi
  fi
  rm -rf "$LOCK.takeover"
  return "$lt_ok"
}

lock_release() {
  [ "$HAVE_LOCK" = 1 ] || return 0
  HAVE_LOCK=0
  [ "$(lock_field txid "$LOCK/info")" = "$TXID" ] && rm -rf "$LOCK"
  return 0
}

# The transaction whose stale lock this one took over: let its own script finish it.
recover_previous() {
  is_txid "$RECOVERED_TXID" || return 0
  rp_dir=$J/$RECOVERED_TXID
  [ -f "$rp_dir/tx.sh" ] || return 0
  tx_final "$(tx_last_state "$rp_dir")" && return 0
  echo "transaction $RECOVERED_TXID died before finishing; recovering it"
  sh "$rp_dir/tx.sh" recover >> "$rp_dir/log" 2>&1 </dev/null
  rp_final=$(tx_last_state "$rp_dir")
  echo "transaction $RECOVERED_TXID: $rp_final"
  log "interrupted transaction $RECOVERED_TXID recovered: $rp_final"
  case $rp_final in
    committed|rolled-back|failed) return 0 ;;
  esac
  echo "transaction $RECOVERED_TXID could not be rolled back; its journal is $rp_dir"
  return 1
}

# The lock's holder, in the result of a transaction refused because of it.
record_holder() {
  result_kv lock_txid "$HOLDER_TXID"
  result_kv lock_pid "$HOLDER_PID"
  result_kv lock_owner "$HOLDER_OWNER"
  result_kv lock_started "$HOLDER_STARTED"
}

record_recovered() {
  result_kv recovered_txid "$RECOVERED_TXID"
  result_kv recovered_pid "$RECOVERED_PID"
  result_kv recovered_owner "$RECOVERED_OWNER"
  result_kv recovered_started "$RECOVERED_STARTED"
}
