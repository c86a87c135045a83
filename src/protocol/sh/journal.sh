# shellcheck shell=sh
# The transaction journal as its readers see it (see src/protocol/README.md, "Journal"):
# final states, the lock's info, liveness, one transaction's report, following a transaction
# step by step, and the host's journal status. Needs frame.sh.

TX_FINAL_STATES='committed rolled-back rollback-failed refused-stale locked failed already-applied'
# Outcomes that wrote nothing and left the host as it was: a later plan has nothing to say about them.
TX_NOOP_STATES='refused-stale locked already-applied'
TX_OUTPUT_TAIL=65536
TX_LOG_TAIL=16384

nap() { sleep 0.1 2>/dev/null || sleep 1; }

# word_in WORD LIST: WORD is one of the space-separated words of LIST.
word_in() {
  case " $2 " in *" $1 "*) [ -n "$1" ] ;; *) return 1 ;; esac
}

tx_final() { word_in "$1" "$TX_FINAL_STATES"; }
tx_last_state() { tail -n 1 "$1/state" 2>/dev/null; }
is_txid() {
  case $1 in ''|*[!A-Za-z0-9-]*) return 1 ;; esac
  return 0
}

# lock_field KEY INFO_FILE: one field of a lock's info file.
lock_field() { sed -n "s/^$1=//p" "$2" 2>/dev/null | head -n 1; }

# tx_alive PID TXID: that pid runs that transaction's script (not a recycled pid).
tx_alive() {
  case $1 in ''|*[!0-9]*) return 1 ;; esac
  is_txid "$2" || return 1
  [ -d "/proc/$1" ] || return 1
  ta_cmd=$(tr '\000' ' ' 2>/dev/null < "/proc/$1/cmdline") || return 1
  case $ta_cmd in *"/$2/tx.sh"*) return 0 ;; esac
  return 1
}

# lock_section LOCK_DIR: a "lock" section (txid, pid, owner, started, alive) when the lock is held.
lock_section() {
  [ -d "$1" ] || return 0
  ls_pid=$(lock_field pid "$1/info")
  ls_txid=$(lock_field txid "$1/info")
  sec_begin lock - -
  kv txid "$ls_txid"
  kv pid "$ls_pid"
  kv owner "$(lock_field owner "$1/info")"
  kv started "$(lock_field started "$1/info")"
  if tx_alive "$ls_pid" "$ls_txid"; then kv alive 1; else kv alive 0; fi
  sec_end lock - -
}

# file_section KIND FILE [TAIL_BYTES]: a section holding a file's bytes (its last TAIL_BYTES).
file_section() {
  sec_begin "$1" - -
  if [ -n "${3:-}" ]; then tail -c "$3" "$2" 2>/dev/null; else cat "$2" 2>/dev/null; fi
  sec_end "$1" - -
}

# tx_report DIR TXID: a "tx" section (found, alive), then state, times and, once finished,
# result, output, the log (unless committed) and the manifest (when the plan was stale).
tx_report() {
  if [ ! -d "$1" ]; then
    sec_begin tx - "$2"
    kv found 0
    sec_end tx - -
    return 0
  fi
  # Liveness first: a process found dead here wrote everything it ever will before the reads below.
  tr_alive=0
  tx_alive "$(cat "$1/pid" 2>/dev/null)" "$2" && tr_alive=1
  sec_begin tx - "$2"
  kv found 1
  kv alive "$tr_alive"
  sec_end tx - -
  file_section state "$1/state"
  file_section times "$1/times"
  [ -f "$1/result" ] || return 0
  file_section result "$1/result"
  file_section output "$1/output" "$TX_OUTPUT_TAIL"
  [ "$(tx_last_state "$1")" = committed ] || file_section log "$1/log" "$TX_LOG_TAIL"
  if grep -q '^stale' "$1/result"; then file_section manifest "$1/manifest.json"; fi
  return 0
}

# tx_follow DIR TXID SEEN WINDOW_S: a "step" section (tag: its number) for each step after the
# first SEEN as it completes, until the transaction ends, dies, or WINDOW_S seconds pass; then
# its report. Completed steps are the complete lines of DIR/times ("<step> <ms>").
tx_follow() {
  tf_seen=$3
  tf_end=$(( $(date +%s) + $4 ))
  while :; do
    tf_over=0
    [ -f "$1/result" ] && tf_over=1
    # A transaction not running (yet) but with a state has died; one without a state may still be starting.
    if [ "$tf_over" = 0 ] && [ -s "$1/state" ] && ! tx_alive "$(cat "$1/pid" 2>/dev/null)" "$2"; then tf_over=1; fi
    tf_lines=$(wc -l < "$1/times" 2>/dev/null) || tf_lines=0
    tf_lines=$((tf_lines + 0))
    if [ "$tf_lines" -gt "$tf_seen" ]; then
      sed -n "$((tf_seen + 1)),${tf_lines}p" "$1/times" | while read -r tf_name tf_ms; do
        tf_seen=$((tf_seen + 1))
        sec_begin step "$tf_seen" -
        kv name "$tf_name"
        kv ms "$tf_ms"
        sec_end step - -
      done
      tf_seen=$tf_lines
    fi
    [ "$tf_over" = 1 ] && break
    [ "$(date +%s)" -lt "$tf_end" ] || break
    nap
  done
  tx_report "$1" "$2"
}

# journal_newest_first JOURNAL: the transactions that took the lock, newest first.
journal_newest_first() {
  awk '{ line[NR] = $0 } END { for (i = NR; i > 0; i--) print line[i] }' "$1/.sequence" 2>/dev/null |
    while IFS= read -r jn_tx; do
      is_txid "$jn_tx" && [ -d "$1/$jn_tx" ] && echo "$jn_tx"
    done
  return 0
}

# journal_latest JOURNAL: the newest transaction that did not end without touching the host:
# running, interrupted, committed, rolled back or failed.
journal_latest() {
  journal_newest_first "$1" | while IFS= read -r jl_tx; do
    word_in "$(tx_last_state "$1/$jl_tx")" "$TX_NOOP_STATES" && continue
    echo "$jl_tx"
    break
  done
}

# journal_status STATE_DIR: the lock (when held) and the report of the latest transaction.
journal_status() {
  lock_section "$1/lock"
  js_latest=$(journal_latest "$1/journal")
  [ -z "$js_latest" ] || tx_report "$1/journal/$js_latest" "$js_latest"
}
