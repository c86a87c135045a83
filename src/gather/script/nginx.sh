# shellcheck shell=sh
# nginx: the binary, one `nginx -V -T` (build info, config test and dump at once), and the
# files, sockets, logs and pidfiles the dump names. (The globals set here are read by the other
# collector files.)
# shellcheck disable=SC2034

NGX_BIN=
NGX_CONF=
NGX_PREFIX=
# The running master's binary, from resolve_binaries.
NGX_EXE=
ngx() {
  if [ -n "$NGX_PREFIX" ] && [ -n "$NGX_CONF" ]; then
    tm "$NGX_BIN" -p "$NGX_PREFIX" -c "$NGX_CONF" "$@"
  elif [ -n "$NGX_CONF" ]; then
    tm "$NGX_BIN" -c "$NGX_CONF" "$@"
  elif [ -n "$NGX_PREFIX" ]; then
    tm "$NGX_BIN" -p "$NGX_PREFIX" "$@"
  else
    tm "$NGX_BIN" "$@"
  fi
}

find_nginx() {
  fn_path=$(command -v nginx 2>/dev/null)
  for fn_c in "$NGX_EXE" "$fn_path" /usr/sbin/nginx /usr/local/nginx/sbin/nginx \
    /usr/local/sbin/nginx /usr/bin/nginx /usr/local/openresty/nginx/sbin/nginx /opt/nginx/sbin/nginx; do
    case $fn_c in /*) ;; *) continue ;; esac
    if [ -f "$fn_c" ] && [ -x "$fn_c" ]; then
      NGX_BIN=$fn_c
      return 0
    fi
  done
  return 1
}

# Tagged lines from the nginx config dump: F file, S unix socket, L error_log, P pid.
ngx_extract() {
  sed -n \
    -e 's/^# configuration file \(.*\):$/F \1/p' \
    -e '/^[[:space:]]*#/d' \
    -e 'h' \
    -e "s/.*fastcgi_pass[[:space:]]\{1,\}\"unix:\([^\"]*\)\".*/S \1/p" -e 'g' \
    -e "s/.*fastcgi_pass[[:space:]]\{1,\}'unix:\([^']*\)'.*/S \1/p" -e 'g' \
    -e "s/.*fastcgi_pass[[:space:]]\{1,\}unix:\([^;[:space:]\"']*\).*/S \1/p" -e 'g' \
    -e "s/^\(.*[[:space:];{]\)\{0,1\}server[[:space:]]\{1,\}\"unix:\([^\"]*\)\".*/S \2/p" -e 'g' \
    -e "s/^\(.*[[:space:];{]\)\{0,1\}server[[:space:]]\{1,\}'unix:\([^']*\)'.*/S \2/p" -e 'g' \
    -e "s/^\(.*[[:space:];{]\)\{0,1\}server[[:space:]]\{1,\}unix:\([^;[:space:]\"']*\).*/S \2/p" -e 'g' \
    -e "s/^\(.*[[:space:];{]\)\{0,1\}error_log[[:space:]]\{1,\}\"\([^\"]*\)\".*/L \2/p" -e 'g' \
    -e "s/^\(.*[[:space:];{]\)\{0,1\}error_log[[:space:]]\{1,\}'\([^']*\)'.*/L \2/p" -e 'g' \
    -e "s/^\(.*[[:space:];{]\)\{0,1\}error_log[[:space:]]\{1,\}\([^;[:space:]\"'][^;[:space:]]*\).*/L \2/p" -e 'g' \
    -e "s/^\(.*[[:space:];{]\)\{0,1\}pid[[:space:]]\{1,\}[\"']\{0,1\}\([^;[:space:]\"']*\).*/P \2/p"
}

# NGX_OPT_PREFIX, NGX_OPT_ERROR_LOG, NGX_OPT_PID get --prefix, --error-log-path and --pid-path
# from nginx -V's `configure arguments:` line in $1 (the last of each, as nginx takes them).
configure_options() {
  NGX_OPT_PREFIX='' NGX_OPT_ERROR_LOG='' NGX_OPT_PID=''
  co_ifs=$IFS
  IFS=$NL
  set -f
  for co_line in $1; do
    case $co_line in 'configure arguments:'*) ;; *) continue ;; esac
    IFS=' '
    for co_word in $co_line; do
      case $co_word in
        --prefix=*) NGX_OPT_PREFIX=${co_word#--prefix=} ;;
        --error-log-path=*) NGX_OPT_ERROR_LOG=${co_word#--error-log-path=} ;;
        --pid-path=*) NGX_OPT_PID=${co_word#--pid-path=} ;;
      esac
    done
    IFS=$NL
  done
  IFS=$co_ifs
  set +f
}

# ABS gets path $2 made absolute against prefix $1.
abs_path() {
  case $2 in
    /*) ABS=$2 ;;
    *) ABS=${1%/}/$2 ;;
  esac
}

# `nginx -V -T` once. The dump goes straight out as the nginx-T section; stderr (the build info,
# then the test verdict), the exit status and the extracted lines come back in NGX_RES, in that
# order: nginx has finished writing stderr before the extraction starts.
run_nginx() {
  NGX_RES=$(
    exec 4>&1
    rn_dump=$(ngx -V -T 2>&4 </dev/null; printf '%s%s' "$B" "$?")
    rn_rc=${rn_dump##*"$B"}
    rn_dump=${rn_dump%"$B"*}
    printf '\n%s rc=%s\n' "$B" "$rn_rc"
    {
      sec_begin cmd nginx-T ''
      if [ "${#rn_dump}" -le "$CAP_DUMP" ]; then
        printf '%s' "$rn_dump"
        sec_end cmd "$rn_rc" -
      else
        printf '%s' "$rn_dump" | head -c "$CAP_DUMP"
        sec_end cmd "$rn_rc" truncated
      fi
    } >&3
    printf '%s' "$rn_dump" | ngx_extract
  )
}

NGX_SOCKETS=
NGX_LOGS=
NGX_PIDS=
collect_nginx() {
  if ! find_nginx; then
    sec_begin nginx - ''
    echo found=0
    sec_end nginx - -
    return 0
  fi
  case $NGX_MASTER_TITLE in
    *' -c '*)
      NGX_CONF=${NGX_MASTER_TITLE#* -c }
      NGX_CONF=${NGX_CONF%% *}
      ;;
  esac
  case $NGX_MASTER_TITLE in
    *' -p '*)
      NGX_PREFIX=${NGX_MASTER_TITLE#* -p }
      NGX_PREFIX=${NGX_PREFIX%% *}
      ;;
  esac
  sec_begin nginx - "$NGX_BIN"
  echo found=1
  kv binary "$NGX_BIN"
  kv master_title "$NGX_MASTER_TITLE"
  kv master_conf "$NGX_CONF"
  kv master_prefix "$NGX_PREFIX"
  sec_end nginx - -
  run_nginx
  cn_err=${NGX_RES%%"$NL$B rc="*}
  # (## scans from the end: # would take time quadratic in the length of nginx's stderr.)
  cn_x=${NGX_RES##*"$NL$B rc="}
  case $cn_x in *"$NL"*) cn_x=${cn_x#*"$NL"} ;; *) cn_x= ;; esac
  sec_begin stderr nginx-T ''
  printf '%s' "$cn_err"
  sec_end stderr - -

  configure_options "$cn_err"
  cn_pfx=${NGX_PREFIX:-$NGX_OPT_PREFIX}
  [ -n "$cn_pfx" ] || cn_pfx=/etc/nginx
  cn_files='' cn_logs='' cn_pids=''
  NGX_SOCKETS=
  cn_ifs=$IFS
  IFS=$NL
  set -f
  for cn_l in $cn_x; do
    case $cn_l in
      'F '*) cn_files=$cn_files${cn_l#F }$NL ;;
      'S '*) NGX_SOCKETS=$NGX_SOCKETS${cn_l#S }$NL ;;
      'L '*)
        cn_l=${cn_l#L }
        case $cn_l in
          stderr | syslog:* | memory:*) cn_logs=$cn_logs$cn_l$NL ;;
          *)
            abs_path "$cn_pfx" "$cn_l"
            cn_logs=$cn_logs$ABS$NL
            ;;
        esac
        ;;
      'P '*)
        abs_path "$cn_pfx" "${cn_l#P }"
        cn_pids=$cn_pids$ABS$NL
        ;;
    esac
  done
  IFS=$cn_ifs
  set +f
  [ -z "$NGX_OPT_ERROR_LOG" ] || cn_logs=$cn_logs$NGX_OPT_ERROR_LOG$NL
  [ -z "$NGX_OPT_PID" ] || cn_pids=$cn_pids$NGX_OPT_PID$NL
  uniq_into "$cn_files"
  each ngx_conf_meta "$UNIQ"
  uniq_into "$NGX_SOCKETS"
  NGX_SOCKETS=$UNIQ
  uniq_into "$cn_logs/var/log/nginx/error.log$NL"
  NGX_LOGS=$UNIQ
  uniq_into "$cn_pids"
  NGX_PIDS=$UNIQ
  each ngx_pidfile "$NGX_PIDS"
  service_state nginx
}
ngx_conf_meta() { case $1 in /*) meta nginx-conf "$1" sha ;; esac; }
ngx_pidfile() { pidfile_state nginx "$1"; }
