# shellcheck shell=sh
# The transaction journal as its readers see it (see src/protocol/README.md, "Journal"):
# final states, the lock's info, liveness, one transaction's report, following a transaction
# step by step, and the host's journal status. Needs frame.sh. The small files (pid, state,
# times, result, lock info, .sequence) are read with the shell's own `read`: the gather prints
# the journal status in its run, which starts as few programs as it can.

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

# SMALL_TEXT gets the bytes of a small text file (none when it cannot be read), SMALL_LAST its last line.
small_file_into() {
  SMALL_TEXT='' SMALL_LAST='' ti_line=''
  while IFS= read -r ti_line; do
    SMALL_TEXT=$SMALL_TEXT$ti_line$NL
    SMALL_LAST=$ti_line
  done 2>/dev/null < "$1"
  [ -z "$ti_line" ] || SMALL_TEXT=$SMALL_TEXT$ti_line SMALL_LAST=$ti_line
}

tx_last_state() {
  small_file_into "$1/state"
  [ -z "$SMALL_LAST" ] || printf '%s\n' "$SMALL_LAST"
}
is_txid() {
  case $1 in ''|*[!A-Za-z0-9-]*) return 1 ;; esac
  return 0
}

# LOCK_VALUE gets one field of a lock's info file (its first KEY= line); lock_field prints it.
lock_field_into() {
  LOCK_VALUE=
  small_file_into "$2"
  case $NL$SMALL_TEXT in
    *"$NL$1="*)
      LOCK_VALUE=${NL}$SMALL_TEXT
      LOCK_VALUE=${LOCK_VALUE#*"$NL$1="}
      LOCK_VALUE=${LOCK_VALUE%%"$NL"*}
      ;;
  esac
}
lock_field() {
  lock_field_into "$1" "$2"
  case $NL$SMALL_TEXT in *"$NL$1="*) printf '%s\n' "$LOCK_VALUE" ;; esac
}

# tx_alive PID TXID: that pid runs that transaction's script (not a recycled pid).
tx_alive() {
  case $1 in ''|*[!0-9]*) return 1 ;; esac
  is_txid "$2" || return 1
  [ -d "/proc/$1" ] || return 1
  # read drops the NUL bytes between the arguments; the script's path is one of them.
  ta_cmd=
  { IFS= read -r ta_cmd < "/proc/$1/cmdline"; } 2>/dev/null
  case $ta_cmd in *"/$2/tx.sh"*) return 0 ;; esac
  return 1
}

# lock_section LOCK_DIR: a "lock" section (txid, pid, owner, started, alive) when the lock is held.
lock_section() {
  [ -d "$1" ] || return 0
  lock_field_into pid "$1/info"
  ls_pid=$LOCK_VALUE
  lock_field_into txid "$1/info"
  ls_txid=$LOCK_VALUE
  sec_begin lock - -
  kv txid "$ls_txid"
  kv pid "$ls_pid"
  lock_field_into owner "$1/info"
  kv owner "$LOCK_VALUE"
  lock_field_into started "$1/info"
  kv started "$LOCK_VALUE"
  if tx_alive "$ls_pid" "$ls_txid"; then kv alive 1; else kv alive 0; fi
  sec_end lock - -
}

# file_section KIND FILE [TAIL_BYTES]: a section holding a file's bytes (its last TAIL_BYTES).
file_section() {
  sec_begin "$1" - -
  if [ ! -s "$2" ]; then
    :
  elif [ -n "${3:-}" ]; then
    tail -c "$3" "$2" 2>/dev/null
  else
    cat "$2" 2>/dev/null
  fi
  sec_end "$1" - -
}

# text_section KIND: a section holding SMALL_TEXT.
text_section() {
  sec_begin "$1" - -
  printf '%s' "$SMALL_TEXT"
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
  small_file_into "$1/pid"
  tx_alive "$SMALL_LAST" "$2" && tr_alive=1
  sec_begin tx - "$2"
  kv found 1
  kv alive "$tr_alive"
  sec_end tx - -
  small_file_into "$1/state"
  text_section state
  small_file_into "$1/times"
  text_section times
  [ -f "$1/result" ] || return 0
  small_file_into "$1/result"
  tr_result=$SMALL_TEXT
  text_section result
  file_section output "$1/output" "$TX_OUTPUT_TAIL"
  small_file_into "$1/state"
  [ "$SMALL_LAST" = committed ] || file_section log "$1/log" "$TX_LOG_TAIL"
  case $NL$tr_result in *"${NL}stale"*) file_section manifest "$1/manifest.json" ;; esac
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

# NEWEST gets the transactions of JOURNAL that took the lock, one per line, newest first.
journal_newest_into() {
  NEWEST=
  while IFS= read -r jn_tx || [ -n "$jn_tx" ]; do
    is_txid "$jn_tx" && [ -d "$1/$jn_tx" ] && NEWEST=$jn_tx$NL$NEWEST
  done 2>/dev/null < "$1/.sequence"
  return 0
}
journal_newest_first() {
  journal_newest_into "$1"
  printf '%s' "$NEWEST"
}

# LATEST gets the newest transaction of JOURNAL that did not end without touching the host:
# running, interrupted, committed, rolled back or failed.
journal_latest_into() {
  LATEST=
  journal_newest_into "$1"
  jl_left=$NEWEST
  while [ -n "$jl_left" ]; do
    jl_tx=${jl_left%%"$NL"*}
    jl_left=${jl_left#*"$NL"}
    small_file_into "$1/$jl_tx/state"
    word_in "$SMALL_LAST" "$TX_NOOP_STATES" && continue
    LATEST=$jl_tx
    return 0
  done
}
journal_latest() {
  journal_latest_into "$1"
  [ -z "$LATEST" ] || printf '%s\n' "$LATEST"
}

# journal_status STATE_DIR: the lock (when held) and the report of the latest transaction.
journal_status() {
  lock_section "$1/lock"
  journal_latest_into "$1/journal"
  [ -z "$LATEST" ] || tx_report "$1/journal/$LATEST" "$LATEST"
}
