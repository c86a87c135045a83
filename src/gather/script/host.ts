/** Host facts: identity, tools, init system, SELinux, accounts, processes (with their mount namespace), service and pidfile state. */
export const SCRIPT_HOST = String.raw`collect_env() {
  sec_begin env - ''
  kv script_version @VERSION@
  kv uid "$(id -u 2>/dev/null)"
  kv user "$(id -un 2>/dev/null)"
  kv groups "$(id -G 2>/dev/null)"
  kv hostname "$(uname -n 2>/dev/null)"
  kv kernel "$(uname -r 2>/dev/null)"
  kv arch "$(uname -m 2>/dev/null)"
  kv date "$(date -u +%Y-%m-%dT%H:%M:%SZ 2>/dev/null)"
  kv localtime "$(date '+%Y-%m-%d %H:%M:%S' 2>/dev/null)"
  kv utc_offset "$(date +%z 2>/dev/null)"
  kv pid1 "$(cat /proc/1/comm 2>/dev/null)"
  kv mntns "$SELF_MNTNS"
  kv nproc "$(nproc 2>/dev/null || getconf _NPROCESSORS_ONLN 2>/dev/null || grep -c '^processor' /proc/cpuinfo 2>/dev/null)"
  [ -d /run/systemd/system ] && kv systemd_running 1
  [ -d /run/openrc ] && kv openrc_running 1
  [ -d /etc/init.d ] && kv initd 1
  for t in systemctl rc-service service getfacl ss sha256sum getent stat timeout getenforce; do
    have "$t" && kv "have_$t" 1
  done
  have getenforce && kv selinux_getenforce "$(getenforce 2>/dev/null)"
  [ -r /sys/fs/selinux/enforce ] && kv selinux_enforce "$(cat /sys/fs/selinux/enforce 2>/dev/null)"
  [ -d /sys/fs/selinux ] && kv selinux_fs 1
  sec_end env - -
}

passwd_dump() { if have getent; then tm getent "$1"; else cat "/etc/$1"; fi; }
ps_dump() { ps -eo pid,ppid,user,group,rss,args 2>/dev/null || ps -o pid,ppid,user,group,rss,args 2>/dev/null || ps; }

# Scan /proc for nginx and php-fpm processes; records masters for later.
SELF_MNTNS=$(readlink /proc/self/ns/mnt 2>/dev/null)
NGX_MASTER_TITLE=
NGX_MASTER_EXE=
FPM_MASTERS=
scan_processes() {
  for sp_d in /proc/[0-9]*; do
    sp_comm=
    read -r sp_comm 2>/dev/null < "$sp_d/comm" || continue
    case $sp_comm in
      nginx|php-fpm*|php[0-9]*-fpm*) ;;
      *) continue ;;
    esac
    sp_pid=$\{sp_d#/proc/}
    sp_title=$(tr '\000' ' ' < "$sp_d/cmdline" 2>/dev/null)
    sp_exe=$(readlink "$sp_d/exe" 2>/dev/null)
    sp_exe=$\{sp_exe% (deleted)}
    sp_ns=$(readlink "$sp_d/ns/mnt" 2>/dev/null)
    sec_begin proc "$sp_pid" ''
    kv comm "$sp_comm"
    kv mntns "$sp_ns"
    kv cmdline "$sp_title"
    kv exe "$sp_exe"
    kv etimes "$(ps -o etimes= -p "$sp_pid" 2>/dev/null)"
    grep -E '^(PPid|Uid|Gid|Groups|VmRSS):' "$sp_d/status" 2>/dev/null
    grep '^Pss:' "$sp_d/smaps_rollup" 2>/dev/null
    sec_end proc - -
    # A container's daemons share /proc but not our files: their -c / -y paths mean nothing here.
    [ -z "$sp_ns" ] || [ "$sp_ns" = "$SELF_MNTNS" ] || continue
    case $sp_title in
      'nginx: master process'*)
        NGX_MASTER_TITLE=$sp_title
        NGX_MASTER_EXE=$sp_exe ;;
      'php-fpm: master process ('*)
        sp_conf=$\{sp_title#*(}
        sp_conf=$\{sp_conf%)*}
        FPM_MASTERS=$FPM_MASTERS$sp_exe$TAB$sp_conf$NL ;;
    esac
  done
}

# Service state through whatever manager the host runs.
service_state() {
  if [ -d /run/systemd/system ] && have systemctl; then
    run_cmd svc-systemd "$1" "$CAP_CMD" tm systemctl show --no-pager \
      -p Id,LoadState,ActiveState,SubState,MainPID,ExecMainStatus,ExecMainCode,NRestarts,UnitFileState,FragmentPath,ExecStart \
      "$1.service"
  elif have rc-service && { [ -d /run/openrc ] || [ -x "/etc/init.d/$1" ]; }; then
    [ -e "/etc/init.d/$1" ] && run_cmd svc-openrc "$1" "$CAP_CMD" merged tm rc-service "$1" status
  elif [ -x "/etc/init.d/$1" ]; then
    if have service; then
      run_cmd svc-sysv "$1" "$CAP_CMD" merged tm service "$1" status
    else
      run_cmd svc-sysv "$1" "$CAP_CMD" merged tm "/etc/init.d/$1" status
    fi
  fi
}

pidfile_state() {
  case $2 in /*) ;; *) return ;; esac
  sec_begin pidfile "$1" "$2"
  if [ -f "$2" ]; then
    echo exists=1
    pf_pid=
    read -r pf_pid 2>/dev/null < "$2"
    case $pf_pid in
      ''|*[!0-9]*) kv pid "$pf_pid" ;;
      *)
        kv pid "$pf_pid"
        if [ -d "/proc/$pf_pid" ]; then
          echo alive=1
          kv comm "$(cat "/proc/$pf_pid/comm" 2>/dev/null)"
        else
          echo alive=0
        fi ;;
    esac
  else
    echo exists=0
  fi
  sec_end pidfile - -
}
`
