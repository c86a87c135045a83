/** nginx: binary, -V, -T (dump and verdict), the files, sockets, logs and pidfiles the dump names. */
export const SCRIPT_NGINX = String.raw`NGX_BIN=
NGX_CONF=
NGX_PREFIX=
ngx() {
  if [ -n "$NGX_PREFIX" ] && [ -n "$NGX_CONF" ]; then tm "$NGX_BIN" -p "$NGX_PREFIX" -c "$NGX_CONF" "$@"
  elif [ -n "$NGX_CONF" ]; then tm "$NGX_BIN" -c "$NGX_CONF" "$@"
  elif [ -n "$NGX_PREFIX" ]; then tm "$NGX_BIN" -p "$NGX_PREFIX" "$@"
  else tm "$NGX_BIN" "$@"
  fi
}

find_nginx() {
  for fn_c in "$NGX_MASTER_EXE" "$(command -v nginx 2>/dev/null)" /usr/sbin/nginx /usr/local/nginx/sbin/nginx \
    /usr/local/sbin/nginx /usr/bin/nginx /usr/local/openresty/nginx/sbin/nginx /opt/nginx/sbin/nginx; do
    case $fn_c in /*) ;; *) continue ;; esac
    if [ -f "$fn_c" ] && [ -x "$fn_c" ]; then NGX_BIN=$fn_c; return 0; fi
  done
  return 1
}

# Prints tagged lines from the nginx config dump: F file, S unix socket, L error_log, P pid.
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

abs_path() {  # abs_path PREFIX PATH
  case $2 in
    /*) printf '%s\n' "$2" ;;
    *) printf '%s/%s\n' "$\{1%/}" "$2" ;;
  esac
}

NGX_SOCKETS=
NGX_LOGS=
NGX_PIDS=
collect_nginx() {
  if ! find_nginx; then
    sec_begin nginx - ''
    echo found=0
    sec_end nginx - -
    return
  fi
  case $NGX_MASTER_TITLE in
    *' -c '*) NGX_CONF=$\{NGX_MASTER_TITLE#* -c }; NGX_CONF=$\{NGX_CONF%% *} ;;
  esac
  case $NGX_MASTER_TITLE in
    *' -p '*) NGX_PREFIX=$\{NGX_MASTER_TITLE#* -p }; NGX_PREFIX=$\{NGX_PREFIX%% *} ;;
  esac
  sec_begin nginx - "$NGX_BIN"
  echo found=1
  kv binary "$NGX_BIN"
  kv master_title "$NGX_MASTER_TITLE"
  kv master_conf "$NGX_CONF"
  kv master_prefix "$NGX_PREFIX"
  sec_end nginx - -
  ngx_v=$(ngx -V 2>&1 </dev/null)
  emit_text cmd nginx-V '' "$?" "$ngx_v" "$CAP_CMD"
  run_cmd nginx-T '' "$CAP_DUMP" ngx -T
  ngx_pfx=$NGX_PREFIX
  [ -n "$ngx_pfx" ] || ngx_pfx=$(printf '%s\n' "$ngx_v" | sed -n 's/.*--prefix=\([^ ]*\).*/\1/p')
  [ -n "$ngx_pfx" ] || ngx_pfx=/etc/nginx
  ngx_x=$(ngx -T 2>/dev/null </dev/null | ngx_extract)
  for_lines ngx_conf_meta "$(printf '%s\n' "$ngx_x" | sed -n 's/^F //p' | uniq_lines)"
  NGX_SOCKETS=$(printf '%s\n' "$ngx_x" | sed -n 's/^S //p' | uniq_lines)
  NGX_LOGS=$( {
    printf '%s\n' "$ngx_x" | sed -n 's/^L //p' | while IFS= read -r l; do
      case $l in
        stderr|syslog:*|memory:*) printf '%s\n' "$l" ;;
        *) abs_path "$ngx_pfx" "$l" ;;
      esac
    done
    printf '%s\n' "$ngx_v" | sed -n 's/.*--error-log-path=\([^ ]*\).*/\1/p'
    echo /var/log/nginx/error.log
  } | uniq_lines)
  NGX_PIDS=$( {
    printf '%s\n' "$ngx_x" | sed -n 's/^P //p' | while IFS= read -r l; do abs_path "$ngx_pfx" "$l"; done
    printf '%s\n' "$ngx_v" | sed -n 's/.*--pid-path=\([^ ]*\).*/\1/p'
  } | uniq_lines)
  for_lines nginx_pidfile "$NGX_PIDS"
  service_state nginx
}
ngx_conf_meta() { case $1 in /*) emit_meta nginx-conf "$1" sha ;; esac; }
nginx_pidfile() { pidfile_state nginx "$1"; }
`
