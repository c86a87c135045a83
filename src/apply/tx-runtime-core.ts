import {sh} from './sh.js'

/**
 * Helpers every transaction script shares: time, hashing, the journal's state/result files,
 * steps with captured output. The generated header defines TXID, D (journal dir), J, ROOT.
 * stdout of the running script is the journal log; fd 3 keeps it while a step's output is
 * redirected into out/<step>.
 */
export const CORE_RUNTIME = sh`
NL='
'
FINAL=
WRITING=0
STEP=start
OUT=/dev/null
STEP_T0=0
FAILED_STEP=
STALE=

have() { command -v "$1" >/dev/null 2>&1; }
log() { printf '%s %s\n' "$(date -u +%H:%M:%S 2>/dev/null)" "$*" >&3; }
nap() { sleep 0.1 2>/dev/null || sleep 1; }
tm() { if have timeout; then timeout "$CMD_TIMEOUT_S" "$@"; else "$@"; fi; }

# Milliseconds on a monotonic clock (10 ms resolution).
now_ms() {
  if [ -r /proc/uptime ]; then
    read -r nm_up nm_rest < /proc/uptime
    echo $(( $\{nm_up%.*} * 1000 + 1$\{nm_up#*.}0 - 1000 ))
  else
    echo $(( $(date +%s) * 1000 ))
  fi
}

sha256_stdin() {
  if have sha256sum; then ss_out=$(sha256sum) || return 1
  elif have shasum; then ss_out=$(shasum -a 256) || return 1
  elif have openssl; then ss_out=$(openssl dgst -sha256 -r) || return 1
  else echo no-sha256-tool; return 1
  fi
  printf '%s\n' "$\{ss_out%% *}"
}

# The file's sha256, or "absent" when nothing exists there (a dangling symlink counts as absent).
sha256_file() {
  if [ -e "$1" ]; then sha256_stdin < "$1"; else echo absent; fi
}

b64_decode() {
  if have base64; then base64 -d
  elif have openssl; then openssl base64 -d
  else echo 'neither base64 nor openssl is installed' >&2; return 1
  fi
}

# wait_until WHAT FUNC ARGS...: call FUNC until it succeeds, at most SVC_TIMEOUT_MS; FUNC explains itself in WHY.
wait_until() {
  wu_what=$1
  shift
  wu_end=$(( $(now_ms) + SVC_TIMEOUT_MS ))
  WHY=
  while :; do
    "$@" && return 0
    if [ "$(now_ms)" -ge "$wu_end" ]; then
      echo "timed out after $SVC_TIMEOUT_MS ms waiting for $wu_what: $WHY"
      return 1
    fi
    nap
  done
}

result_kv() { printf '%s=%s\n' "$1" "$2" >> "$D/result.tmp"; }

finish() {
  trap '' TERM HUP INT
  FINAL=$1
  result_kv status "$1"
  result_kv txid "$TXID"
  mv -f "$D/result.tmp" "$D/result"
  printf '%s\n' "$1" >> "$D/state"
  log "transaction $1"
}

begin_step() {
  STEP=$1
  OUT=$D/out/$1
  printf '' > "$OUT" || OUT=/dev/null
}

step_done() {
  sd_now=$(now_ms)
  printf '%s %s\n' "$1" $(( sd_now - STEP_T0 )) >> "$D/times"
  printf '%s\n' "$1" >> "$D/state"
  STEP_T0=$sd_now
  log "step $1 done"
}

# step NAME FUNC: run FUNC with its output in out/NAME, record NAME when it succeeds.
step() {
  begin_step "$1"
  log "step $1"
  "$2" >> "$OUT" 2>&1 </dev/null
  st_rc=$?
  [ "$st_rc" = 0 ] && step_done "$1"
  return "$st_rc"
}

save_output() { cat "$OUT" > "$D/output" 2>/dev/null; }
`

/** Transaction outcome paths: clean failure, stale refusal, rollback, commit, signals, recovery. */
export const FLOW_RUNTIME = sh`
# Nothing was written: report, release the lock, stop.
fail_clean() {
  trap '' TERM HUP INT
  save_output
  result_kv failed_step "$1"
  finish failed
  lock_release
  exit 0
}

refuse_stale() {
  save_output
  result_kv stale "$(echo $STALE)"
  finish refused-stale
  lock_release
  exit 0
}

rollback() {
  trap '' TERM HUP INT
  FAILED_STEP=$1
  save_output
  log "step $1 failed: rolling back"
  printf 'rollback\n' >> "$D/state"
  rb_out=$D/out/rollback
  rb_fail=
  run_restore >> "$rb_out" 2>&1 </dev/null || rb_fail=restore
  if [ -z "$rb_fail" ]; then run_validate rollback >> "$rb_out" 2>&1 </dev/null || rb_fail=validate; fi
  if [ -z "$rb_fail" ]; then run_revert_actions >> "$rb_out" 2>&1 </dev/null || rb_fail=services; fi
  result_kv failed_step "$FAILED_STEP"
  if [ -z "$rb_fail" ]; then
    finish rolled-back
  else
    { printf '\n--- rollback (%s failed) ---\n' "$rb_fail"; cat "$rb_out"; } >> "$D/output" 2>/dev/null
    result_kv rollback_step "$rb_fail"
    finish rollback-failed
  fi
  lock_release
  exit 0
}

commit() {
  trap '' TERM HUP INT
  if [ "$KIND" = undo ] && [ -d "$J/$UNDOES" ]; then printf '%s\n' "$TXID" > "$J/$UNDOES/undone-by"; fi
  finish committed
  lock_release
  prune_journal
  exit 0
}

is_final() {
  case $1 in committed|rolled-back|rollback-failed|refused-stale|locked|failed) return 0 ;; esac
  return 1
}

# Keep the newest KEEP_JOURNALS finished transactions.
prune_journal() {
  tail -n 200 "$J/.sequence" > "$J/.sequence.tmp" 2>/dev/null && mv -f "$J/.sequence.tmp" "$J/.sequence"
  ls -1 "$J" 2>/dev/null | sort -r | tail -n +$(( KEEP_JOURNALS + 1 )) | while IFS= read -r pj_tx; do
    case $pj_tx in *[!A-Za-z0-9-]*|'') continue ;; esac
    [ "$pj_tx" = "$TXID" ] && continue
    is_final "$(tail -n 1 "$J/$pj_tx/state" 2>/dev/null)" && rm -rf "$J/$pj_tx"
  done
}

on_signal() {
  trap '' TERM HUP INT
  log "received SIG$1 during $STEP"
  printf 'received SIG%s during step %s\n' "$1" "$STEP" >> "$OUT"
  if [ "$WRITING" = 1 ]; then rollback "signal-$1"; fi
  fail_clean "signal-$1"
}

on_exit() {
  [ -n "$FINAL" ] && return 0
  trap '' TERM HUP INT
  log "the transaction script stopped unexpectedly during $STEP"
  printf 'the transaction script stopped unexpectedly during step %s\n' "$STEP" >> "$OUT"
  if [ "$WRITING" = 1 ]; then rollback unexpected-exit; fi
  fail_clean unexpected-exit
}

main_run() {
  exec 3>&1
  echo "$$" > "$D/pid"
  trap 'on_signal TERM' TERM
  trap 'on_signal HUP' HUP
  trap 'on_signal INT' INT
  trap 'on_exit' EXIT
  STEP_T0=$(now_ms)
  log "transaction $TXID ($KIND) for $OWNER"
  begin_step lock
  lock_acquire >> "$OUT" 2>&1 </dev/null
  case $? in
    0) ;;
    1)
      result_kv lock_txid "$HOLDER_TXID"
      result_kv lock_pid "$HOLDER_PID"
      result_kv lock_owner "$HOLDER_OWNER"
      result_kv lock_started "$HOLDER_STARTED"
      finish locked
      exit 0 ;;
    *) fail_clean lock ;;
  esac
  if [ -n "$RECOVERED_TXID" ]; then
    result_kv recovered_txid "$RECOVERED_TXID"
    result_kv recovered_pid "$RECOVERED_PID"
    result_kv recovered_owner "$RECOVERED_OWNER"
    result_kv recovered_started "$RECOVERED_STARTED"
    recover_previous >> "$OUT" 2>&1 </dev/null || fail_clean recover-previous
  fi
  # Lock holders in the order they held it: the host's own history, whatever the clients' clocks say.
  printf '%s\n' "$TXID" >> "$J/.sequence"
  step_done lock
  step check run_checks
  case $? in
    0) ;;
    3) refuse_stale ;;
    *) fail_clean check ;;
  esac
  step backup run_backup
  case $? in
    0) ;;
    3) refuse_stale ;;
    *) fail_clean backup ;;
  esac
  WRITING=1
  step write run_writes || rollback write
  step validate run_validate_post || rollback validate
  run_forward_actions
  step probe run_probes || rollback probe
  commit
}

# Finish a transaction whose process died (run by the transaction that took over its lock).
main_recover() {
  exec 3>&1
  trap '' TERM HUP INT
  begin_step recover
  log "recovering interrupted transaction $TXID"
  if is_final "$(tail -n 1 "$D/state" 2>/dev/null)"; then exit 0; fi
  if grep -qx probe "$D/state" 2>/dev/null; then commit; fi
  for mr_f in "$D"/files/*/written "$D"/run/*.begun; do
    [ -e "$mr_f" ] && WRITING=1
  done
  printf 'the transaction process died during step %s\n' "$(tail -n 1 "$D/state" 2>/dev/null)" >> "$OUT"
  if [ "$WRITING" = 1 ]; then rollback interrupted; fi
  fail_clean interrupted
}

main_unpack() {
  exec 3>&1
  mkdir -p "$D/new" "$D/files" "$D/out" "$D/pre" "$D/run" || exit 1
  printf '%s\n' "$KIND" > "$D/kind" || exit 1
  printf '' > "$D/state" || exit 1
  have base64 || have openssl || { echo 'fpmfix needs base64 (coreutils or busybox) or openssl on the host'; exit 1; }
  sha256_stdin < /dev/null > /dev/null || { echo 'fpmfix needs sha256sum, shasum or openssl on the host'; exit 1; }
  unpack_payload || exit 1
}

main() {
  case $\{1:-} in
    unpack) main_unpack ;;
    run) main_run ;;
    recover) main_recover ;;
    *) echo "usage: tx.sh unpack|run|recover"; exit 64 ;;
  esac
}
`
