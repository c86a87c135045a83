import {sh} from './sh.js'

/**
 * Services: config tests, and actions whose effect is observed, never assumed (an init
 * script may exit 0 although php-fpm failed to start, and reloads return before new
 * workers serve). The action in progress is described by A_* variables set by the
 * generated action_N / revert_N functions; O_* hold what ran before it, S_* what runs now.
 */
export const SERVICES_RUNTIME = sh`
SELF_MNTNS=$(readlink /proc/self/ns/mnt 2>/dev/null)

# validate_target KEY MODE CMD...: MODE pre records the result, post requires success,
# rollback requires success only when the test passed before the transaction.
validate_target() {
  vt_key=$1 vt_mode=$2
  shift 2
  echo "$ $*"
  vt_out=$(tm "$@" 2>&1 </dev/null)
  vt_rc=$?
  printf '%s\n' "$vt_out"
  case $vt_mode in
    pre)
      if [ "$vt_rc" = 0 ]; then echo 1 > "$D/pre/valid.$vt_key"; else echo 0 > "$D/pre/valid.$vt_key"; fi
      return 0 ;;
    post)
      [ "$vt_rc" = 0 ] && return 0
      echo "configuration test failed (exit $vt_rc)"
      return 1 ;;
    rollback)
      [ "$vt_rc" = 0 ] && return 0
      if [ "$(cat "$D/pre/valid.$vt_key" 2>/dev/null)" = 0 ]; then
        echo "still failing, as it did before this transaction"
        return 0
      fi
      echo "configuration test failed after restoring the files (exit $vt_rc)"
      return 1 ;;
  esac
}

proc_title() { tr '\000' ' ' 2>/dev/null < "/proc/$1/cmdline"; }

proc_gone() {
  [ -d "/proc/$1" ] || return 0
  read -r pg_st 2>/dev/null < "/proc/$1/stat" || return 0
  pg_rest=$\{pg_st##*) }
  case $pg_rest in Z*|X*) return 0 ;; esac
  return 1
}

# masters_of KIND BIN: pids of nginx masters (KIND nginx) or of php-fpm masters running BIN, in this mount namespace.
masters_of() {
  mo_want=
  [ "$1" = fpm ] && mo_want=$(readlink -f -- "$2" 2>/dev/null)
  mo_out=
  for mo_d in /proc/[0-9]*; do
    read -r mo_comm 2>/dev/null < "$mo_d/comm" || continue
    case $mo_comm in nginx*|php*) ;; *) continue ;; esac
    mo_title=$(proc_title "$\{mo_d#/proc/}") || continue
    case $1:$mo_title in
      'nginx:nginx: master process'*|'fpm:php-fpm: master process'*) ;;
      *) continue ;;
    esac
    mo_ns=$(readlink "$mo_d/ns/mnt" 2>/dev/null)
    [ -z "$mo_ns" ] || [ "$mo_ns" = "$SELF_MNTNS" ] || continue
    if [ -n "$mo_want" ]; then
      mo_exe=$(readlink "$mo_d/exe" 2>/dev/null)
      [ "$\{mo_exe% (deleted)}" = "$mo_want" ] || continue
    fi
    mo_out="$mo_out $\{mo_d#/proc/}"
  done
  echo $mo_out
}

children_of() {
  co_pid=$1 co_out=
  if [ -r "/proc/$co_pid/task/$co_pid/children" ]; then
    read -r co_out 2>/dev/null < "/proc/$co_pid/task/$co_pid/children"
    echo $co_out
    return 0
  fi
  for co_d in /proc/[0-9]*; do
    read -r co_st 2>/dev/null < "$co_d/stat" || continue
    set -- $\{co_st##*) }
    [ "$\{2:-}" = "$co_pid" ] && co_out="$co_out $\{co_d#/proc/}"
  done
  echo $co_out
}

# Workers that serve: every php-fpm child; for nginx, workers not shutting down after a reload.
active_children() {
  ac_out=
  for ac_p in $(children_of "$2"); do
    if [ "$1" = nginx ]; then
      ac_title=$(proc_title "$ac_p") || continue
      ac_title=$\{ac_title%"$\{ac_title##*[! ]}"}
      [ "$ac_title" = 'nginx: worker process' ] || continue
    fi
    ac_out="$ac_out $ac_p"
  done
  echo $ac_out
}

# Field 28 of stat: where the stack starts, new on every exec (php-fpm re-executes itself on USR2).
start_stack() {
  read -r ss_st 2>/dev/null < "/proc/$1/stat" || return 0
  set -- $\{ss_st##*) }
  [ $# -ge 26 ] || return 0
  shift 25
  echo "$1"
}

# Socket inodes (sockfs) held open by the given pids.
socket_inodes() {
  for si_p in $1; do
    ls -l "/proc/$si_p/fd" 2>/dev/null | sed -n 's/.*-> socket:\[\([0-9]*\)\]$/\1/p'
  done
}

none_in() {
  for ni_a in $1; do
    case " $2 " in *" $ni_a "*) return 1 ;; esac
  done
  return 0
}

svc_snapshot() {
  S_MASTER=$(masters_of "$A_KIND" "$A_BIN")
  S_KIDS= S_STACK=
  for sn_m in $S_MASTER; do
    S_KIDS="$S_KIDS $(active_children "$A_KIND" "$sn_m")"
    S_STACK="$S_STACK $(start_stack "$sn_m")"
  done
  S_KIDS=$(echo $S_KIDS)
  S_STACK=$(echo $S_STACK)
}

svc_remember() {
  svc_snapshot
  O_MASTER=$S_MASTER O_KIDS=$S_KIDS O_STACK=$S_STACK
}

old_masters_gone() {
  for og_p in $O_MASTER; do
    proc_gone "$og_p" || { WHY="master $og_p is still running"; return 1; }
  done
  return 0
}
masters_gone() { wait_until "the old $A_LABEL master to exit" old_masters_gone; }

# The new generation of the service is in place for A_VERB.
generation_ready() {
  svc_snapshot
  if [ "$A_VERB" = stop ]; then
    [ -z "$S_MASTER" ] && return 0
    WHY="$A_LABEL is still running (master $S_MASTER)"
    return 1
  fi
  [ -n "$S_MASTER" ] || { WHY="no $A_LABEL master process is running"; return 1; }
  case $A_VERB in
    restart)
      none_in "$S_MASTER" "$O_MASTER" || { WHY="the old $A_LABEL master ($O_MASTER) still runs"; return 1; } ;;
    reload)
      if [ -n "$O_KIDS" ]; then
        if [ -z "$S_KIDS" ] || ! none_in "$S_KIDS" "$O_KIDS"; then
          WHY="$A_LABEL has not replaced its workers yet (before: $O_KIDS; now: $\{S_KIDS:-none})"
          return 1
        fi
      elif [ "$A_KIND" = fpm ] && [ "$S_STACK" = "$O_STACK" ]; then
        WHY="the $A_LABEL master has not re-executed itself yet"
        return 1
      fi ;;
  esac
  if [ "$A_KIND" = nginx ] && [ -z "$S_KIDS" ]; then
    WHY="nginx has no worker processes"
    return 1
  fi
  return 0
}

# expect_socket PATH OWNER GROUP MODE: a master of this service listens on PATH, which has that owner/group/mode.
expect_socket() {
  es_path=$1 es_owner=$2 es_group=$3 es_mode=$4
  [ -S "$es_path" ] || { WHY="socket $es_path does not exist"; return 1; }
  es_st=$(stat -c '%U %G %a %u %g' -- "$es_path" 2>/dev/null) || { WHY="cannot stat $es_path"; return 1; }
  set -- $es_st
  if [ -n "$es_owner" ] && [ "$es_owner" != "$1" ] && [ "$es_owner" != "$4" ]; then
    WHY="socket $es_path is owned by $1, expected $es_owner"
    return 1
  fi
  if [ -n "$es_group" ] && [ "$es_group" != "$2" ] && [ "$es_group" != "$5" ]; then
    WHY="socket $es_path has group $2, expected $es_group"
    return 1
  fi
  if [ -n "$es_mode" ] && [ "$es_mode" != "$3" ]; then
    WHY="socket $es_path has mode $3, expected $es_mode"
    return 1
  fi
  es_inodes=" $(echo $(socket_inodes "$S_MASTER")) "
  if ! FPMFIX_PATH=$es_path FPMFIX_INODES=$es_inodes awk '
    { rest = $0; for (i = 0; i < 7; i++) sub(/^[ \t]*[^ \t]+/, "", rest); sub(/^[ \t]+/, "", rest) }
    rest == ENVIRON["FPMFIX_PATH"] && $4 == "00010000" && index(ENVIRON["FPMFIX_INODES"], " " $7 " ") { found = 1 }
    END { exit !found }' /proc/net/unix; then
    WHY="no $A_LABEL master listens on $es_path yet"
    return 1
  fi
  return 0
}

# expect_tcp PORT_HEX ADDR_HEX LABEL: a master of this service listens on that port (and address, when given).
expect_tcp() {
  et_inodes=" $(echo $(socket_inodes "$S_MASTER")) "
  if ! FPMFIX_PORT=$1 FPMFIX_ADDR=$2 FPMFIX_INODES=$et_inodes awk '
    FNR > 1 && $4 == "0A" {
      split($2, local, ":")
      if (local[2] != ENVIRON["FPMFIX_PORT"]) next
      if (!index(ENVIRON["FPMFIX_INODES"], " " $10 " ")) next
      want = ENVIRON["FPMFIX_ADDR"]; addr = local[1]
      if (want == "" || addr == want || addr ~ /^0+$/ || addr == "0000000000000000FFFF0000" want) found = 1
    }
    END { exit !found }' /proc/net/tcp /proc/net/tcp6 2>/dev/null; then
    WHY="no $A_LABEL master listens on $3 yet"
    return 1
  fi
  return 0
}

svc_begin() {
  A_MANAGER=$FORCE_MANAGER
  [ -n "$A_MANAGER" ] || A_MANAGER=$(svc_manager "$A_NAME")
  svc_remember
}

# svc_run VERB READY_FUNCTION: run VERB through the manager, then wait until READY_FUNCTION holds.
svc_run() {
  A_VERB=$1
  if [ "$A_VERB" = restart ] && [ -z "$O_MASTER" ]; then
    echo "$A_LABEL is not running: starting it instead"
    A_VERB=start
  fi
  if [ "$A_VERB" = reload ] && [ -z "$O_MASTER" ]; then
    echo "$A_LABEL is not running, so it cannot be reloaded"
    return 1
  fi
  if [ "$A_VERB" = stop ] && [ -z "$O_MASTER" ]; then
    echo "$A_LABEL is already stopped"
    return 0
  fi
  if [ "$A_MANAGER" = none ] && [ "$A_VERB" = restart ] && [ "$O_MASTER" = 1 ]; then
    echo "$A_LABEL runs as pid 1 (a container's main process): reloading it instead of restarting"
    A_VERB=reload
  fi
  echo "$A_VERB $A_LABEL ($A_MANAGER); running before: $\{O_MASTER:-none}"
  "$A_CTL" "$A_VERB" "$A_MANAGER" </dev/null
  sr_rc=$?
  if [ "$sr_rc" != 0 ]; then
    echo "$A_VERB $A_LABEL failed (exit $sr_rc)"
    return 1
  fi
  wait_until "$A_LABEL to $A_VERB" "$2" || return 1
  echo "$A_LABEL: $A_VERB done; master $\{S_MASTER:-none}, workers $\{S_KIDS:-none}"
}

# Forward action: mark it begun (so a rollback reverts it), run it, wait for its expectations.
svc_forward() {
  svc_begin
  printf '' > "$D/run/a$A_INDEX.begun"
  svc_run "$1" "$2"
}

svc_record_pre() {
  svc_begin
  if [ -n "$O_MASTER" ]; then echo 1 > "$D/pre/a$A_INDEX.running"; else echo 0 > "$D/pre/a$A_INDEX.running"; fi
}

# Put a begun action's service back the way it was: running (reloaded or restarted on the
# restored files) or stopped, as it was before the transaction.
svc_revert() {
  [ -f "$D/run/a$A_INDEX.begun" ] || return 0
  rv_was=$(cat "$D/pre/a$A_INDEX.running" 2>/dev/null)
  svc_begin
  if [ "$rv_was" = 0 ]; then
    svc_run stop generation_ready
    return
  fi
  if [ -z "$O_MASTER" ]; then
    svc_run start generation_ready
  elif [ "$1" = reload ]; then
    svc_run reload generation_ready || { svc_begin; svc_run restart generation_ready; }
  else
    svc_run restart generation_ready
  fi
}
`
