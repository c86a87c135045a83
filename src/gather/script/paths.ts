/** Sockets and their parent directories, listeners, log tails, and main. */
export const SCRIPT_PATHS = String.raw`socket_ref() { sec_begin sockref "$2" "$1"; sec_end sockref - -; }
path_acl() {
  if [ -e "$1" ] && have getfacl; then
    run_cmd acl "$1" "$CAP_CMD" getfacl -pc -- "$1"
  fi
}
dir_stat() { emit_meta dir "$1"; path_acl "$1"; }
parents_of() {
  while IFS= read -r po_p; do
    case $po_p in /*) ;; *) continue ;; esac
    po_d=$\{po_p%/*}
    while [ -n "$po_d" ]; do
      printf '%s\n' "$po_d"
      po_d=$\{po_d%/*}
    done
    echo /
  done
}

# Socket files under /run, named or not (stale ones included); /var/run only when it is not /run.
scan_sockets() {
  find /run -maxdepth 2 -type s -name '*.sock' 2>/dev/null
  find /run/php /run/php-fpm -maxdepth 1 -type s 2>/dev/null
  if [ "$(readlink -f /var/run 2>/dev/null)" != /run ]; then
    find /var/run -maxdepth 2 -type s -name '*.sock' 2>/dev/null
    find /var/run/php /var/run/php-fpm -maxdepth 1 -type s 2>/dev/null
  fi
}

collect_sockets() {
  cs_scan=$(scan_sockets | uniq_lines)
  for_lines socket_ref "$NGX_SOCKETS" nginx
  for_lines socket_ref "$FPM_SOCKETS" fpm
  for_lines socket_ref "$cs_scan" scan
  cs_all=$(printf '%s\n%s\n%s\n' "$NGX_SOCKETS" "$FPM_SOCKETS" "$cs_scan" | grep '^/' | uniq_lines)
  for_lines emit_meta_socket "$cs_all"
  for_lines dir_stat "$(printf '%s\n' "$cs_all" | parents_of | uniq_lines)"
}
emit_meta_socket() { emit_meta socket "$1"; path_acl "$1"; }

unix_listeners_proc() { grep -E '^[0-9a-fA-F]+: [0-9A-Fa-f]+ [0-9A-Fa-f]+ 00010000 ' /proc/net/unix; }
collect_listeners() {
  if have ss; then
    run_cmd ss-unix '' "$CAP_CMD" tm ss -lnpx
    run_cmd ss-tcp '' "$CAP_CMD" tm ss -ltnp
  else
    run_cmd proc-net-unix '' "$CAP_CMD" unix_listeners_proc
    emit_file proc-net-tcp /proc/net/tcp "$CAP_FILE"
    emit_file proc-net-tcp6 /proc/net/tcp6 "$CAP_FILE"
  fi
}

log_line() { emit_log "$\{1%% *}" "$\{1#* }"; }
collect_logs() {
  cl_list=$( {
    printf '%s\n' "$NGX_LOGS" | sed -n 's/^./nginx &/p'
    printf '%s\n' "$FPM_LOGS"
    glob_list '/var/log/php*-fpm.log' | sed 's/^/fpm /'
    glob_list '/var/log/php-fpm/error.log' | sed 's/^/fpm /'
    glob_list '/var/log/php-fpm/*slow*.log' | sed 's/^/fpm-slowlog /'
    glob_list '/var/log/php[0-9]*/error.log' | sed 's/^/fpm /'
  } | grep -v '^$' | uniq_lines)
  for_lines log_line "$cl_list"
}

main() {
  exec 3>&1
  # BusyBox timeout keeps the output pipe open for up to a second after the command ends.
  case $(timeout --version 2>/dev/null) in *coreutils*) TMO=30 ;; esac
  collect_env
  if [ -e /etc/os-release ]; then emit_file os-release /etc/os-release "$CAP_FILE"
  else emit_file os-release /usr/lib/os-release "$CAP_FILE"; fi
  emit_file meminfo /proc/meminfo "$CAP_FILE"
  emit_file somaxconn /proc/sys/net/core/somaxconn "$CAP_FILE"
  emit_file loadavg /proc/loadavg "$CAP_FILE"
  run_cmd passwd '' "$CAP_CMD" passwd_dump passwd
  run_cmd group '' "$CAP_CMD" passwd_dump group
  run_cmd ps '' "$CAP_CMD" ps_dump
  scan_processes
  collect_nginx
  collect_fpm
  collect_sockets
  collect_listeners
  collect_logs
  sec_begin done - ''
  sec_end done 0 -
}

main </dev/null
`
