# shellcheck shell=sh
# The transaction itself, read top to bottom in main_run: lock → check → backup → write →
# validate → action-N (each followed by its gate-N) → probe → commit, or a rollback; main_recover
# finishes a transaction whose process died; main_unpack checks what the bootstrap stored. tx.sh
# lives in its own journal directory, which holds its spec:
# `sh /var/lib/fpmfix/journal/<txid>/tx.sh run|recover|unpack`.

# Finished journals kept on the host (for `fpmfix rollback` and post-mortems).
KEEP_JOURNALS=20

# The journal directory is where tx.sh lives; everything else comes from its spec.
# shellcheck disable=SC2034 # used by the other runtime files
tx_setup() {
  case $0 in
    /*/tx.sh) D=${0%/*} ;;
    *) echo "run tx.sh by its absolute path in its journal directory, not as $0"; exit 64 ;;
  esac
  J=${D%/*}
  ROOT=${J%/*}
  LOCK=$ROOT/lock
  TXID=${D##*/}
  KIND=$(spec_get kind)
  UNDOES=$(spec_get undoes)
  OWNER=$(spec_get owner)
  FORCE_MANAGER=$(spec_get service_manager)
  SVC_TIMEOUT_MS=$(spec_count service_timeout_ms)
  PROBE_TIMEOUT_S=$(spec_count probe_timeout_s)
  DRAIN_TIMEOUT_MS=$(spec_count drain_timeout_ms)
  PHP_CLI=$(spec_get php_cli)
  NGINX_BIN=$(spec_get nginx_binary)
  NGINX_PREFIX=$(spec_get nginx_prefix)
  NGINX_CONF=$(spec_get nginx_config)
  [ "$SVC_TIMEOUT_MS" -gt 0 ] || SVC_TIMEOUT_MS=15000
  [ "$PROBE_TIMEOUT_S" -gt 0 ] || PROBE_TIMEOUT_S=10
  : "${PHP_CLI:=php}" "${NGINX_BIN:=nginx}"
}

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
  result_kv stale "$(words "$STALE")"
  cat "$D/stale.kv" >> "$D/result.tmp" 2>/dev/null
  finish refused-stale
  lock_release
  exit 0
}

# applied_by DIGEST: the newest committed apply of the same plan (same files, contents and
# actions) that was not undone since.
applied_by() {
  ab_found=''
  for ab_dir in "$J"/*/; do
    ab_tx=${ab_dir%/}
    ab_tx=${ab_tx##*/}
    [ "$ab_tx" != "$TXID" ] || continue
    [ "$(tx_last_state "$J/$ab_tx")" = committed ] || continue
    [ ! -e "$J/$ab_tx/undone-by" ] || continue
    [ "$(sed -n 's/^kind=//p' "$J/$ab_tx/spec" 2>/dev/null)" = apply ] || continue
    [ "$(sed -n 's/^digest=//p' "$J/$ab_tx/spec" 2>/dev/null)" = "$1" ] && ab_found=$ab_tx
  done
  [ -n "$ab_found" ] && echo "$ab_found"
}

# A stale plan that is in effect already: an apply of this same plan committed, every planned
# file still holds its new content, and every service is in the state its action leads to.
already_applied() {
  [ "$KIND" = apply ] || return 1
  aa_digest=$(spec_get digest)
  [ -n "$aa_digest" ] || return 1
  aa_by=$(applied_by "$aa_digest") || { echo "no committed transaction applied this plan"; return 1; }
  for_each files file_holds_plan || return 1
  for_each actions service_holds_plan || return 1
  echo "this plan was applied by transaction $aa_by and is still in effect"
  result_kv applied_by "$aa_by"
}

finish_already_applied() {
  trap '' TERM HUP INT
  finish already-applied
  lock_release
  exit 0
}

rollback() {
  trap '' TERM HUP INT
  save_output
  log "step $1 failed: rolling back"
  printf 'rollback\n' >> "$D/state"
  rb_out=$D/out/rollback
  rb_fail=''
  run_restore >> "$rb_out" 2>&1 </dev/null || rb_fail=restore
  if [ -z "$rb_fail" ]; then run_validate rollback >> "$rb_out" 2>&1 </dev/null || rb_fail=validate; fi
  if [ -z "$rb_fail" ]; then run_revert_actions >> "$rb_out" 2>&1 </dev/null || rb_fail=services; fi
  result_kv failed_step "$1"
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

# Keep the newest KEEP_JOURNALS finished transactions.
prune_journal() {
  tail -n 200 "$J/.sequence" > "$J/.sequence.tmp" 2>/dev/null && mv -f "$J/.sequence.tmp" "$J/.sequence"
  # shellcheck disable=SC2012 # transaction ids are plain words
  ls -1 "$J" 2>/dev/null | sort -r | tail -n +$(( KEEP_JOURNALS + 1 )) | while IFS= read -r pj_tx; do
    is_txid "$pj_tx" || continue
    [ "$pj_tx" = "$TXID" ] && continue
    tx_final "$(tx_last_state "$J/$pj_tx")" && rm -rf "${J:?}/$pj_tx"
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
  # shellcheck disable=SC2034 # read by step_done
  STEP_T0=$(now_ms)
  log "transaction $TXID ($KIND) for $OWNER"
  begin_step lock
  lock_acquire >> "$OUT" 2>&1 </dev/null
  case $? in
    0) ;;
    1) record_holder; finish locked; exit 0 ;;
    *) fail_clean lock ;;
  esac
  if [ -n "$RECOVERED_TXID" ]; then
    record_recovered
    recover_previous >> "$OUT" 2>&1 </dev/null || fail_clean recover-previous
  fi
  # Lock holders in the order they held it: the host's own history, whatever the clients' clocks say.
  printf '%s\n' "$TXID" >> "$J/.sequence"
  step_done lock
  step check run_checks
  case $? in
    0) ;;
    3)
      already_applied >> "$OUT" 2>&1 </dev/null && finish_already_applied
      refuse_stale ;;
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
  step validate run_validate post || rollback validate
  for_each actions action_step
  step probe run_probes '' || rollback probe
  commit
}

# action_step I: action I (in the spec's order: php-fpm before the nginx it serves), then its gate: the
# probes of what it just (re)started, before the next action may rely on it. Either failing
# rolls everything back.
action_step() {
  step "action-$1" forward_action "$1" || rollback "action-$1"
  if has_probes "action_$1_gate_"; then step "gate-$1" run_probes "action_$1_gate_" || rollback "gate-$1"; fi
}

# Finish a transaction whose process died (run by the transaction that took over its lock).
main_recover() {
  exec 3>&1
  trap '' TERM HUP INT
  begin_step recover
  log "recovering interrupted transaction $TXID"
  if tx_final "$(tx_last_state "$D")"; then exit 0; fi
  if grep -qx probe "$D/state" 2>/dev/null; then commit; fi
  for mr_f in "$D"/files/*/written "$D"/run/*.begun; do
    [ -e "$mr_f" ] && WRITING=1
  done
  printf 'the transaction process died during step %s\n' "$(tx_last_state "$D")" >> "$OUT"
  if [ "$WRITING" = 1 ]; then rollback interrupted; fi
  fail_clean interrupted
}

# Check the tools and the payload the bootstrap stored: each new file decoded and hashed.
main_unpack() {
  exec 3>&1
  mkdir -p "$D/new" "$D/files" "$D/out" "$D/pre" "$D/run" || exit 1
  printf '%s\n' "$KIND" > "$D/kind" || exit 1
  printf '' > "$D/state" || exit 1
  have base64 || have openssl || { echo 'fpmfix needs base64 (coreutils or busybox) or openssl on the host'; exit 1; }
  sha256_stdin < /dev/null > /dev/null || { echo 'fpmfix needs sha256sum, shasum or openssl on the host'; exit 1; }
  for_each files unpack_file || exit 1
}

# unpack_file N: decode file N's new content and check its hash.
unpack_file() {
  uf_after=$(spec_get "file_$1_after")
  [ "$uf_after" != absent ] || return 0
  b64_decode < "$D/new/$1.b64" > "$D/new/$1" || { echo "cannot decode the new content of file $1"; return 1; }
  [ "$(sha256_file "$D/new/$1")" = "$uf_after" ] || { echo "the new content of file $1 is corrupt"; return 1; }
  rm -f "$D/new/$1.b64"
}

main() {
  set -u
  LC_ALL=C
  export LC_ALL
  PATH="$PATH:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
  export PATH
  umask 077
  # Probes go to 127.0.0.1 directly, never through a proxy from root's environment.
  unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
  tx_setup
  case ${1:-} in
    unpack) main_unpack ;;
    run) main_run ;;
    recover) main_recover ;;
    *) echo "usage: tx.sh unpack|run|recover"; exit 64 ;;
  esac
}

main "$@"
