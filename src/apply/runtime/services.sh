# shellcheck shell=sh
# Services: config tests, and actions whose effect is observed, never assumed (an init script
# may exit 0 although php-fpm failed to start, and reloads return before new workers serve).
# use_action sets A_* from the spec for the action in hand; O_* hold what ran before it, S_*
# what runs now. Spec: validations, validation_<i>_{kind,binary,config}; actions,
# action_<i>_{kind,binary,service,verb,config}, action_<i>_expects,
# action_<i>_expect_<j>_{socket,owner,group,mode} or _{port_hex,addr_hex,label};
# nginx_{binary,prefix,config}; service_manager; drain_timeout_ms (DRAIN_TIMEOUT_MS). Needs proc.sh.

# nginx_run ARGS...: nginx as the spec names it: nginx_binary [-p nginx_prefix] [-c nginx_config] ARGS...
nginx_run() {
  if [ -n "$NGINX_CONF" ]; then set -- -c "$NGINX_CONF" "$@"; fi
  if [ -n "$NGINX_PREFIX" ]; then set -- -p "$NGINX_PREFIX" "$@"; fi
  "$NGINX_BIN" "$@"
}

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

# validate_one I: validation I's config test (php-fpm -t [-y CONF], or nginx -t) through validate_target in VALIDATE_MODE.
validate_one() {
  vo_i=$1
  vo_conf=$(spec_get "validation_$1_config")
  case $(spec_get "validation_$1_kind") in
    php-fpm)
      set -- "$(spec_get "validation_$1_binary")" -t
      [ -z "$vo_conf" ] || set -- "$@" -y "$vo_conf" ;;
    nginx)
      set -- "$NGINX_BIN"
      [ -z "$NGINX_PREFIX" ] || set -- "$@" -p "$NGINX_PREFIX"
      [ -z "$NGINX_CONF" ] || set -- "$@" -c "$NGINX_CONF"
      set -- "$@" -t ;;
    *) echo "validation $1 has an unknown kind"; return 1 ;;
  esac
  validate_target "v$vo_i" "$VALIDATE_MODE" "$@"
}

# run_validate MODE: every validation of the spec (pre, post or rollback: see validate_target).
run_validate() {
  VALIDATE_MODE=$1
  for_all validations validate_one
}

# use_action I: the action in hand (A_INDEX, A_KIND fpm|nginx, A_BIN, A_NAME, A_VERB, A_CONF).
use_action() {
  A_INDEX=$1
  case $(spec_get "action_$1_kind") in nginx) A_KIND=nginx ;; *) A_KIND=fpm ;; esac
  A_BIN=$(spec_get "action_$1_binary")
  A_NAME=$(spec_get "action_$1_service")
  A_VERB=$(spec_get "action_$1_verb")
  A_PLANNED=$A_VERB
  A_CONF=$(spec_get "action_$1_config")
}

# svc_manager NAME: how NAME is controlled here. systemd only counts when it runs as init and
# knows the unit; OpenRC when it runs and has the script; SysV when /etc/init.d/NAME exists;
# otherwise none (containers, hand-started daemons).
svc_manager() {
  if [ -d /run/systemd/system ] && have systemctl &&
    [ "$(systemctl show -p LoadState "$1.service" 2>/dev/null)" = LoadState=loaded ]; then
    echo systemd
  elif have rc-service && [ -d /run/openrc ] && [ -e "/etc/init.d/$1" ]; then
    echo openrc
  elif [ -x "/etc/init.d/$1" ]; then
    echo sysv
  else
    echo none
  fi
}

fpm_start() {
  if [ -n "$A_CONF" ]; then "$A_BIN" -D -y "$A_CONF" </dev/null; else "$A_BIN" -D </dev/null; fi
}

# php-fpm without a service manager: -D forces daemon mode whatever `daemonize` says, so a start
# returns once the master has forked; the other verbs signal the masters recorded in O_MASTER.
# shellcheck disable=SC2086 # O_MASTER: one pid per word
direct_fpm() {
  case $1 in
    start) fpm_start ;;
    reload) kill -USR2 $O_MASTER ;;
    stop) kill -QUIT $O_MASTER && masters_gone ;;
    restart) kill -QUIT $O_MASTER && masters_gone && fpm_start ;;
  esac
}

# nginx without a service manager: signals through `nginx -s`, a start by running the binary.
direct_nginx() {
  case $1 in
    start) nginx_run </dev/null ;;
    reload) nginx_run -s reload ;;
    stop) nginx_run -s quit && masters_gone ;;
    restart) nginx_run -s quit && masters_gone && nginx_run </dev/null ;;
  esac
}

# svc_ctl VERB MANAGER: VERB the action's service through MANAGER, or directly when there is none.
svc_ctl() {
  case $1 in start|restart|reload|stop) ;; *) echo "unknown service verb $1"; return 1 ;; esac
  case $2 in
    systemd) systemctl "$1" "$A_NAME.service" ;;
    openrc) rc-service "$A_NAME" "$1" ;;
    sysv) if have service; then service "$A_NAME" "$1"; else "/etc/init.d/$A_NAME" "$1"; fi ;;
    none) if [ "$A_KIND" = fpm ]; then direct_fpm "$1"; else direct_nginx "$1"; fi ;;
    *) echo "cannot $1 under service manager $2"; return 1 ;;
  esac
}

children_of() {
  co_pid=$1 co_out=''
  if [ -r "/proc/$co_pid/task/$co_pid/children" ]; then
    read -r co_out 2>/dev/null < "/proc/$co_pid/task/$co_pid/children"
    # shellcheck disable=SC2086
    echo $co_out
    return 0
  fi
  for co_d in /proc/[0-9]*; do
    read -r co_st 2>/dev/null < "$co_d/stat" || continue
    # shellcheck disable=SC2086 # the fields after the command name
    set -- ${co_st##*) }
    [ "${2:-}" = "$co_pid" ] && co_out="$co_out ${co_d#/proc/}"
  done
  # shellcheck disable=SC2086
  echo $co_out
}

# Workers that serve: every php-fpm child; for nginx, workers not shutting down after a reload.
active_children() {
  ac_out=''
  for ac_p in $(children_of "$2"); do
    if [ "$1" = nginx ]; then
      ac_title=$(proc_title "$ac_p") || continue
      ac_title=${ac_title%"${ac_title##*[! ]}"}
      [ "$ac_title" = 'nginx: worker process' ] || continue
    fi
    ac_out="$ac_out $ac_p"
  done
  # shellcheck disable=SC2086
  echo $ac_out
}

# Field 28 of stat: where the stack starts, new on every exec (php-fpm re-executes itself on USR2).
start_stack() {
  read -r ss_st 2>/dev/null < "/proc/$1/stat" || return 0
  # shellcheck disable=SC2086 # the fields after the command name
  set -- ${ss_st##*) }
  [ $# -ge 26 ] || return 0
  shift 25
  echo "$1"
}

# Socket inodes (sockfs) held open by the given pids.
socket_inodes() {
  for si_p in $1; do
    # shellcheck disable=SC2012 # fd links, not file names
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
  S_MASTER=$(service_masters "$A_KIND" "$A_NAME" "$A_BIN")
  S_KIDS='' S_STACK=''
  for sn_m in $S_MASTER; do
    S_KIDS="$S_KIDS $(active_children "$A_KIND" "$sn_m")"
    S_STACK="$S_STACK $(start_stack "$sn_m")"
  done
  S_KIDS=$(words "$S_KIDS")
  S_STACK=$(words "$S_STACK")
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
masters_gone() { wait_until "the old $A_NAME master to exit" old_masters_gone; }

# The new generation of the service is in place for A_VERB.
generation_ready() {
  svc_snapshot
  if [ "$A_VERB" = stop ]; then
    [ -z "$S_MASTER" ] && return 0
    WHY="$A_NAME is still running (master $S_MASTER)"
    return 1
  fi
  [ -n "$S_MASTER" ] || { WHY="no $A_NAME master process is running"; return 1; }
  case $A_VERB in
    restart)
      none_in "$S_MASTER" "$O_MASTER" || { WHY="the old $A_NAME master ($O_MASTER) still runs"; return 1; } ;;
    reload)
      if [ -n "$O_KIDS" ]; then
        if [ -z "$S_KIDS" ] || ! none_in "$S_KIDS" "$O_KIDS"; then
          WHY="$A_NAME has not replaced its workers yet (before: $O_KIDS; now: ${S_KIDS:-none})"
          return 1
        fi
      elif [ "$A_KIND" = fpm ] && [ "$S_STACK" = "$O_STACK" ]; then
        WHY="the $A_NAME master has not re-executed itself yet"
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
  # shellcheck disable=SC2086 # owner group mode uid gid
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
  es_inodes=" $(words "$(socket_inodes "$S_MASTER")") "
  if ! FPMFIX_PATH=$es_path FPMFIX_INODES=$es_inodes awk '
    { rest = $0; for (i = 0; i < 7; i++) sub(/^[ \t]*[^ \t]+/, "", rest); sub(/^[ \t]+/, "", rest) }
    rest == ENVIRON["FPMFIX_PATH"] && $4 == "00010000" && index(ENVIRON["FPMFIX_INODES"], " " $7 " ") { found = 1 }
    END { exit !found }' /proc/net/unix; then
    WHY="no $A_NAME master listens on $es_path yet"
    return 1
  fi
  return 0
}

# expect_tcp PORT_HEX ADDR_HEX LABEL: a master of this service listens on that port (and address, when given).
expect_tcp() {
  et_inodes=" $(words "$(socket_inodes "$S_MASTER")") "
  if ! FPMFIX_PORT=$1 FPMFIX_ADDR=$2 FPMFIX_INODES=$et_inodes awk '
    FNR > 1 && $4 == "0A" {
      split($2, local, ":")
      if (local[2] != ENVIRON["FPMFIX_PORT"]) next
      if (!index(ENVIRON["FPMFIX_INODES"], " " $10 " ")) next
      want = ENVIRON["FPMFIX_ADDR"]; addr = local[1]
      if (want == "" || addr == want || addr ~ /^0+$/ || addr == "0000000000000000FFFF0000" want) found = 1
    }
    END { exit !found }' /proc/net/tcp /proc/net/tcp6 2>/dev/null; then
    WHY="no $A_NAME master listens on $3 yet"
    return 1
  fi
  return 0
}

# expectation_holds J: listener J of the action in hand is up, with its owner/group/mode.
expectation_holds() {
  eh_p=action_${A_INDEX}_expect_$1
  eh_socket=$(spec_get "${eh_p}_socket")
  if [ -n "$eh_socket" ]; then
    expect_socket "$eh_socket" "$(spec_get "${eh_p}_owner")" "$(spec_get "${eh_p}_group")" "$(spec_get "${eh_p}_mode")"
  else
    expect_tcp "$(spec_get "${eh_p}_port_hex")" "$(spec_get "${eh_p}_addr_hex")" "$(spec_get "${eh_p}_label")"
  fi
}

expectations_hold() { for_each "action_${A_INDEX}_expects" expectation_holds; }

# The action in hand has taken effect: its new generation runs and serves every expected listener.
action_ready() {
  generation_ready || return 1
  [ "$A_VERB" = stop ] && return 0
  expectations_hold
}

# Workers of an earlier nginx generation: after a reload they finish the requests they had
# begun (proxied as the old configuration said), then exit.
nginx_old_workers() {
  now_out=''
  for now_m in $(service_masters nginx nginx ''); do
    for now_p in $(children_of "$now_m"); do
      case $(proc_title "$now_p") in 'nginx: worker process is shutting down'*) now_out="$now_out $now_p" ;; esac
    done
  done
  words "$now_out"
}

nginx_settled() {
  ns_old=$(nginx_old_workers)
  [ -z "$ns_old" ] && return 0
  WHY="nginx workers from before its reload are still finishing requests (pids $ns_old)"
  return 1
}

# open_connections INODES: connections accepted on the listening sockets among INODES (" a b "),
# unix (same path, connected) and TCP (same local port, established): requests in flight, or
# clients keeping a connection.
open_connections() {
  FPMFIX_INODES=$1 awk '
    { rest = $0; for (i = 0; i < 7; i++) sub(/^[ \t]*[^ \t]+/, "", rest); sub(/^[ \t]+/, "", rest) }
    FNR == NR { if ($4 == "00010000" && rest != "" && index(ENVIRON["FPMFIX_INODES"], " " $7 " ")) listening[rest] = 1; next }
    $6 == "03" && (rest in listening) { n++ }
    END { print n + 0 }' /proc/net/unix /proc/net/unix 2>/dev/null
  FPMFIX_INODES=$1 awk '
    FNR == 1 { pass++; next }
    pass <= 2 {
      if ($4 == "0A" && index(ENVIRON["FPMFIX_INODES"], " " $10 " ")) {
        split($2, local, ":")
        if (local[1] ~ /^0+$/) anyaddr[local[2]] = 1; else exact[$2] = 1
      }
      next
    }
    $4 == "01" { split($2, local, ":"); if (($2 in exact) || (local[2] in anyaddr)) n++ }
    END { print n + 0 }' /proc/net/tcp /proc/net/tcp6 /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

# Nothing is connected to the listeners of the service in hand (O_MASTER) any more.
fpm_idle() {
  fi_n=0
  for fi_c in $(open_connections " $(words "$(socket_inodes "$O_MASTER")") "); do fi_n=$(( fi_n + fi_c )); done
  [ "$fi_n" = 0 ] && return 0
  WHY="$fi_n connection(s) to $A_NAME still open"
  return 1
}

fpm_drained() { nginx_settled && fpm_idle; }

# drain_before VERB: php-fpm's stop, restart and reload end the requests its workers serve once
# process_control_timeout passes (0, at once, by default). So before them, wait (bounded by
# DRAIN_TIMEOUT_MS) until nginx's workers from before a reload have finished what they proxied,
# and before a stop until nothing is connected to the service either; past the bound, go ahead.
drain_before() {
  [ "$A_KIND" = fpm ] && [ -n "$O_MASTER" ] || return 0
  case $1 in
    stop) db_until=fpm_drained ;;
    reload|restart) db_until=nginx_settled ;;
    *) return 0 ;;
  esac
  "$db_until" && return 0
  echo "waiting for the requests in flight to $A_NAME to end: $WHY"
  wait_within "$DRAIN_TIMEOUT_MS" "the requests in flight to $A_NAME to end" "$db_until" ||
    echo "going ahead with $1 $A_NAME"
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
    echo "$A_NAME is not running: starting it instead"
    A_VERB=start
  fi
  if [ "$A_VERB" = reload ] && [ -z "$O_MASTER" ]; then
    echo "$A_NAME is not running, so it cannot be reloaded"
    return 1
  fi
  if [ "$A_VERB" = stop ] && [ -z "$O_MASTER" ]; then
    echo "$A_NAME is already stopped"
    return 0
  fi
  if [ "$A_MANAGER" = none ] && [ "$A_VERB" = restart ] && [ "$O_MASTER" = 1 ]; then
    echo "$A_NAME runs as pid 1 (a container's main process): reloading it instead of restarting"
    A_VERB=reload
  fi
  drain_before "$A_VERB"
  echo "$A_VERB $A_NAME ($A_MANAGER); running before: ${O_MASTER:-none}"
  svc_ctl "$A_VERB" "$A_MANAGER" </dev/null
  sr_rc=$?
  if [ "$sr_rc" != 0 ]; then
    echo "$A_VERB $A_NAME failed (exit $sr_rc)"
    return 1
  fi
  wait_until "$A_NAME to $A_VERB" "$2" || return 1
  echo "$A_NAME: $A_VERB done; master ${S_MASTER:-none}, workers ${S_KIDS:-none}"
}

# forward_action I: mark action I begun (so a rollback reverts it), run it, wait for its expectations.
forward_action() {
  use_action "$1"
  svc_begin
  printf '' > "$D/run/a$A_INDEX.begun"
  svc_run "$A_PLANNED" action_ready
}

# record_pre I: whether action I's service runs before the change.
record_pre() {
  use_action "$1"
  svc_begin
  if [ -n "$O_MASTER" ]; then echo 1 > "$D/pre/a$A_INDEX.running"; else echo 0 > "$D/pre/a$A_INDEX.running"; fi
}

# revert_action I: put a begun action's service back the way it was: running (reloaded or
# restarted on the restored files) or stopped, as it was before the transaction.
revert_action() {
  use_action "$1"
  [ -f "$D/run/a$A_INDEX.begun" ] || return 0
  rv_was=$(cat "$D/pre/a$A_INDEX.running" 2>/dev/null)
  svc_begin
  if [ "$rv_was" = 0 ]; then
    svc_run stop generation_ready
    return
  fi
  if [ -z "$O_MASTER" ]; then
    svc_run start generation_ready
  elif [ "$A_PLANNED" = reload ]; then
    svc_run reload generation_ready || { svc_begin; svc_run restart generation_ready; }
  else
    svc_run restart generation_ready
  fi
}

# Last done, first undone: nginx goes back to the pools it left before those it was moved to
# are reloaded away, and a stopped service runs again before nginx goes back to it.
run_revert_actions() { for_all_reversed actions revert_action; }

# service_holds_plan I: action I's service is in the state the action leads to: stopped, or
# running and serving its listeners.
service_holds_plan() {
  use_action "$1"
  svc_snapshot
  if [ "$A_VERB" = stop ]; then
    [ -z "$S_MASTER" ] || { echo "$A_NAME is running"; return 1; }
  else
    [ -n "$S_MASTER" ] || { echo "$A_NAME is not running"; return 1; }
    expectations_hold || { echo "$WHY"; return 1; }
  fi
}
