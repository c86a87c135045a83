# shellcheck shell=sh
# The transaction's basics: its spec, time, hashing, the result file and steps with captured
# output (see src/apply/README.md). Needs frame.sh (kv) and journal.sh (nap).
# stdout of a running transaction is its log; fd 3 keeps it while a step's output goes to out/<step>.
# shellcheck disable=SC2034 # state shared with the other runtime files

CMD_TIMEOUT_S=120
FINAL=''
WRITING=0
STEP=start
OUT=/dev/null
STEP_T0=0
STALE=''
WHY=''

have() { command -v "$1" >/dev/null 2>&1; }
log() { printf '%s %s\n' "$(date -u +%H:%M:%S 2>/dev/null)" "$*" >&3; }
tm() { if have timeout; then timeout "$CMD_TIMEOUT_S" "$@"; else "$@"; fi; }

# words TEXT: the words of TEXT, one space apart.
# shellcheck disable=SC2086
words() { echo $1; }

# spec_get NAME: one value of the transaction's spec ($D/spec, "name=value" lines); empty when absent.
spec_get() { sed -n "s/^$1=//p" "$D/spec"; }

# spec_count NAME: a list's length in the spec (0 when absent or not a number).
spec_count() {
  sc_n=$(spec_get "$1")
  case $sc_n in ''|*[!0-9]*) echo 0 ;; *) echo "$sc_n" ;; esac
}

# for_each LIST FUNC: FUNC <i> for each item of the spec list LIST, in order, stopping at the first
# failure (its status). The counters live in the positional parameters, which every function call
# has its own of, so FUNC may loop over another list.
for_each() {
  set -- "$1" "$2" 0 "$(spec_count "$1")"
  while [ "$3" -lt "$4" ]; do
    "$2" "$3" || return $?
    set -- "$1" "$2" $(($3 + 1)) "$4"
  done
}

# for_all LIST FUNC: FUNC <i> for every item of LIST, whatever fails; fails when any did.
for_all() {
  set -- "$1" "$2" 0 "$(spec_count "$1")" 0
  while [ "$3" -lt "$4" ]; do
    "$2" "$3" || set -- "$1" "$2" "$3" "$4" 1
    set -- "$1" "$2" $(($3 + 1)) "$4" "$5"
  done
  return "$5"
}

# for_all_reversed LIST FUNC: for_all from the last item to the first.
for_all_reversed() {
  set -- "$1" "$2" "$(spec_count "$1")" 0
  while [ "$3" -gt 0 ]; do
    "$2" $(($3 - 1)) || set -- "$1" "$2" "$3" 1
    set -- "$1" "$2" $(($3 - 1)) "$4"
  done
  return "$4"
}

# Milliseconds on a monotonic clock (10 ms resolution).
now_ms() {
  if [ -r /proc/uptime ]; then
    read -r nm_up _ < /proc/uptime
    echo $(( ${nm_up%.*} * 1000 + 1${nm_up#*.}0 - 1000 ))
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
  printf '%s\n' "${ss_out%% *}"
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

# wait_within MS WHAT FUNC ARGS...: call FUNC until it succeeds, at most MS milliseconds; FUNC explains itself in WHY.
wait_within() {
  wu_ms=$1 wu_what=$2
  shift 2
  wu_end=$(( $(now_ms) + wu_ms ))
  WHY=''
  while :; do
    "$@" && return 0
    if [ "$(now_ms)" -ge "$wu_end" ]; then
      echo "timed out after $wu_ms ms waiting for $wu_what: $WHY"
      return 1
    fi
    nap
  done
}

# wait_until WHAT FUNC ARGS...: wait_within the service timeout.
wait_until() { wait_within "$SVC_TIMEOUT_MS" "$@"; }

result_kv() { kv "$1" "$2" >> "$D/result.tmp"; }

# finish STATE: the result file, then STATE as the state file's last line (readers trust a result only with it).
finish() {
  trap '' TERM HUP INT
  FINAL=$1
  result_kv status "$1"
  result_kv txid "$TXID"
  result_kv kind "$KIND"
  [ -z "$UNDOES" ] || result_kv undoes "$UNDOES"
  mv -f "$D/result.tmp" "$D/result"
  printf '%s\n' "$1" >> "$D/state"
  log "transaction $1"
}

begin_step() {
  STEP=$1
  OUT=$D/out/$1
  printf '' > "$OUT" || OUT=/dev/null
}

# step_done NAME: NAME and its duration in times, then NAME in state.
step_done() {
  sd_now=$(now_ms)
  printf '%s %s\n' "$1" $(( sd_now - STEP_T0 )) >> "$D/times"
  printf '%s\n' "$1" >> "$D/state"
  STEP_T0=$sd_now
  log "step $1 done"
}

# step NAME FUNC ARGS...: run FUNC with its output in out/NAME, record NAME when it succeeds.
step() {
  begin_step "$1"
  st_name=$1
  shift
  log "step $st_name"
  "$@" >> "$OUT" 2>&1 </dev/null
  st_rc=$?
  [ "$st_rc" = 0 ] && step_done "$st_name"
  return "$st_rc"
}

save_output() { cat "$OUT" > "$D/output" 2>/dev/null; }
