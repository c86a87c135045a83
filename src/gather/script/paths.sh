# shellcheck shell=sh
# Unix sockets (named by a config or found under /run) and their parent directories, the
# listening sockets, and the logs to tail. (The globals set here are read by the other
# collector files.)
# shellcheck disable=SC2034

socket_ref() {
  sec_begin sockref "$2" "$1"
  sec_end sockref - -
}
socket_meta() { meta socket "$1" acl; }
dir_meta() { meta dir "$1" acl; }

# SCAN gets the socket files under /run (and /var/run when it is not /run): *.sock two levels
# down, then anything in /run/php and /run/php-fpm, in the order a find of each lists them.
scan_sockets() {
  SCAN=
  set -- /run
  [ "$VAR_RUN_REAL" = /run ] || set -- /run /var/run
  ss_out=$(find "$@" -maxdepth 2 -type s \( -name '*.sock' -o -path '/run/php/*' -o -path '/run/php-fpm/*' \
    -o -path '/var/run/php/*' -o -path '/var/run/php-fpm/*' \) 2>/dev/null)
  ss_ifs=$IFS
  IFS=$NL
  set -f
  for ss_root; do
    for ss_group in sock php php-fpm; do
      for ss_p in $ss_out; do
        case $ss_group:$ss_p in
          sock:"$ss_root"/*.sock | php:"$ss_root"/php/* | php-fpm:"$ss_root"/php-fpm/*) SCAN=$SCAN$ss_p$NL ;;
        esac
      done
    done
  done
  IFS=$ss_ifs
  set +f
  uniq_into "$SCAN"
  SCAN=$UNIQ
}

# PARENTS gets every parent directory of the absolute paths in $1, up to /.
parents_of() {
  PARENTS=
  po_ifs=$IFS
  IFS=$NL
  set -f
  for po_p in $1; do
    po_d=${po_p%/*}
    while [ -n "$po_d" ]; do
      PARENTS=$PARENTS$po_d$NL
      po_d=${po_d%/*}
    done
    PARENTS=$PARENTS/$NL
  done
  IFS=$po_ifs
  set +f
}

# SOCKETS gets every absolute socket path named or found, once each.
SOCKETS=
collect_sockets() {
  scan_sockets
  each socket_ref "$NGX_SOCKETS" nginx
  each socket_ref "$FPM_SOCKETS" fpm
  each socket_ref "$SCAN" scan
  cs_abs=
  cs_ifs=$IFS
  IFS=$NL
  set -f
  for cs_p in $NGX_SOCKETS$NL$FPM_SOCKETS$NL$SCAN; do
    case $cs_p in /*) cs_abs=$cs_abs$cs_p$NL ;; esac
  done
  IFS=$cs_ifs
  set +f
  uniq_into "$cs_abs"
  SOCKETS=$UNIQ
  each socket_meta "$SOCKETS"
  parents_of "$SOCKETS"
  uniq_into "$PARENTS"
  each dir_meta "$UNIQ"
}

# Listening sockets: one ss for unix and TCP, or the kernel's tables without it.
collect_listeners() {
  if have ss; then
    sec_begin cmd ss ''
    ss -lnpxt 2>/dev/null </dev/null
    sec_end cmd "$?" -
  else
    sec_begin cmd proc-net-unix ''
    grep -E '^[0-9a-fA-F]+: [0-9A-Fa-f]+ [0-9A-Fa-f]+ 00010000 ' /proc/net/unix 2>/dev/null
    sec_end cmd "$?" -
    meta proc-net-tcp /proc/net/tcp content noreal
    meta proc-net-tcp6 /proc/net/tcp6 content noreal
  fi
}

# log SOURCE PATH: a log file to tail in the batch, or a destination that is not a file to read.
log_line() {
  ll_src=${1%% *}
  ll_path=${1#* }
  case $ll_path in
    /dev/* | /proc/* | [!/]* | '')
      sec_begin logtarget "$ll_src" "$ll_path"
      sec_end logtarget - -
      return 0
      ;;
  esac
  meta "log:$ll_src" "$ll_path" tail
}

collect_logs() {
  cl_list=
  cl_ifs=$IFS
  IFS=$NL
  set -f
  for cl_l in $NGX_LOGS; do cl_list="${cl_list}nginx $cl_l$NL"; done
  cl_list=$cl_list$FPM_LOGS
  for cl_g in 'fpm /var/log/php*-fpm.log' 'fpm /var/log/php-fpm/error.log' \
    'fpm-slowlog /var/log/php-fpm/*slow*.log' 'fpm /var/log/php[0-9]*/error.log'; do
    glob_into "${cl_g#* }"
    set -f
    for cl_p in $GLOB; do cl_list="$cl_list${cl_g%% *} $cl_p$NL"; done
  done
  IFS=$cl_ifs
  set +f
  uniq_into "$cl_list"
  each log_line "$UNIQ"
}
