# shellcheck shell=sh
# Host facts: identity, tools, init system, SELinux, accounts, processes (with their mount
# namespace), pidfiles and what the service managers know.
# (test -ef is not POSIX, but dash, bash and BusyBox ash all have it. The globals set here are
# read by the other collector files.)
# shellcheck disable=SC3013,SC2034

HAVE_SHA=
HAVE_ACL=

collect_env() {
  ce_enforce=''
  have sha256sum && HAVE_SHA=1
  have getfacl && HAVE_ACL=1
  sec_begin env - ''
  kv script_version "$VERSION"
  [ -e /proc/sys/kernel/arch ] || kv arch "$(uname -m 2>/dev/null)"
  kv clock "$(date '+%Y-%m-%d %H:%M:%S %z' 2>/dev/null)"
  [ -d /run/systemd/system ] && echo systemd_running=1
  [ -d /run/openrc ] && echo openrc_running=1
  [ -d /etc/init.d ] && echo initd=1
  for t in systemctl rc-service service getfacl ss sha256sum getent stat timeout getenforce; do
    have "$t" && echo "have_$t=1"
  done
  if [ -r /sys/fs/selinux/enforce ]; then
    read -r ce_enforce </sys/fs/selinux/enforce
    kv selinux_enforce "$ce_enforce"
  fi
  [ -d /sys/fs/selinux ] && echo selinux_fs=1
  sec_end env - -
}

# Small files the batch reads whole: the host's name, kernel and machine (/proc/sys answers a read
# of one byte, as dash and BusyBox read, with one byte), our uid, groups and CPUs (the status of
# head, which has ours), the distro, memory, load and the listen backlog limit.
collect_host_files() {
  meta hostname /proc/sys/kernel/hostname content noreal
  meta kernel /proc/sys/kernel/osrelease content noreal
  [ ! -e /proc/sys/kernel/arch ] || meta arch /proc/sys/kernel/arch content noreal
  meta status /proc/self/status content noreal
  if [ -e /etc/os-release ]; then meta os-release /etc/os-release content noreal; else meta os-release /usr/lib/os-release content noreal; fi
  meta meminfo /proc/meminfo content noreal
  meta loadavg /proc/loadavg content noreal
  meta somaxconn /proc/sys/net/core/somaxconn content noreal
}

table_dump() {
  if [ "$1" = ps ]; then
    ps -eo pid,ppid,user,group,rss,etimes,args 2>/dev/null || ps -eo pid,ppid,user,group,rss,args 2>/dev/null ||
      ps -o pid,ppid,user,group,rss,args 2>/dev/null || ps 2>/dev/null
  elif have getent; then
    if [ -n "$NSS_LOCAL" ]; then getent "$1" 2>/dev/null; else tm getent "$1" 2>/dev/null; fi
  else
    put_file <"/etc/$1"
  fi
}

# Accounts and the process table, under one size cap (the parser caps each at CAP_CMD).
collect_tables() {
  NSS_LOCAL=
  nss_is_local && NSS_LOCAL=1
  {
    for ct_t in passwd group ps; do
      sec_begin cmd "$ct_t" ''
      table_dump "$ct_t"
      sec_end cmd "$?" -
    done
  } | head -c $((3 * CAP_CMD + 4096))
}

# Processes named nginx or php-fpm*: a section each from /proc, and the masters for later. Their
# status and smaps_rollup lines the parser needs come from one grep (the shell would read those
# files a byte at a time).
NGX_MASTER_PID=
NGX_MASTER_TITLE=
FPM_MASTERS=
scan_processes() {
  set --
  for sp_d in /proc/[0-9]*; do
    sp_comm=
    { read -r sp_comm <"$sp_d/comm"; } 2>/dev/null || continue
    case $sp_comm in
      nginx | php-fpm* | php[0-9]*-fpm*) ;;
      *) continue ;;
    esac
    sp_pid=${sp_d#/proc/}
    # read drops the NUL bytes: a process title (all nginx and php-fpm set one) reads whole.
    sp_title=
    { IFS= read -r sp_title <"$sp_d/cmdline"; } 2>/dev/null
    sp_ns=same
    if [ -e "$sp_d/ns/mnt" ] && ! [ "$sp_d/ns/mnt" -ef "/proc/$$/ns/mnt" ]; then sp_ns=other; fi
    sec_begin proc "$sp_pid" ''
    kv comm "$sp_comm"
    kv ns "$sp_ns"
    kv cmdline "$sp_title"
    sec_end proc - -
    set -- "$@" "$sp_d/status" "$sp_d/smaps_rollup"
    meta exe "$sp_d/exe" noreal
    # A container's daemons share /proc but not our files: their -c / -y paths mean nothing here.
    [ "$sp_ns" = same ] || continue
    case $sp_title in
      'nginx: master process'*)
        NGX_MASTER_PID=$sp_pid
        NGX_MASTER_TITLE=$sp_title
        ;;
      'php-fpm: master process ('*)
        sp_conf=${sp_title#*(}
        FPM_MASTERS=$FPM_MASTERS$sp_pid$TAB${sp_conf%)*}$NL
        ;;
    esac
  done
  [ $# -gt 0 ] || return 0
  sec_begin cmd proc-status ''
  grep -H -e '^PPid:' -e '^Uid:' -e '^Gid:' -e '^Groups:' -e '^VmRSS:' -e '^Pss:' -- "$@" 2>/dev/null </dev/null
  sec_end cmd "$?" -
}

# The pid file of a service: does it name a live process, and which.
pidfile_state() {
  case $2 in /*) ;; *) return 0 ;; esac
  sec_begin pidfile "$1" "$2"
  if [ -f "$2" ]; then
    echo exists=1
    pf_pid=
    { read -r pf_pid <"$2"; } 2>/dev/null
    kv pid "$pf_pid"
    case $pf_pid in
      '' | *[!0-9]*) ;;
      *)
        if [ -d "/proc/$pf_pid" ]; then
          echo alive=1
          pf_comm=
          { read -r pf_comm <"/proc/$pf_pid/comm"; } 2>/dev/null
          kv comm "$pf_comm"
        else
          echo alive=0
        fi
        ;;
    esac
  else
    echo exists=0
  fi
  sec_end pidfile - -
}

# What the init system knows of a service, without running its status command: the init
# script and OpenRC's state directories (pidfiles and /proc tell whether it runs). systemd
# units are asked once for all services (collect_units).
SERVICES=
service_state() {
  case $NL$SERVICES in *"$NL$1$NL"*) return 0 ;; esac
  SERVICES=$SERVICES$1$NL
  sec_begin svc "$1" ''
  [ -x "/etc/init.d/$1" ] && echo initd=1
  [ -e "/etc/init.d/$1" ] && echo initd_file=1
  if [ -d /run/openrc ]; then
    for ss_state in started starting stopping inactive failed; do
      if [ -e "/run/openrc/$ss_state/$1" ]; then
        echo "openrc=$ss_state"
        break
      fi
    done
  fi
  sec_end svc - -
}

collect_units() {
  [ -n "$SERVICES" ] && [ -d /run/systemd/system ] && have systemctl || return 0
  cu_ifs=$IFS
  IFS=$NL
  set -f
  set --
  for cu_s in $SERVICES; do set -- "$@" "$cu_s.service"; done
  IFS=$cu_ifs
  set +f
  sec_begin cmd svc-systemd ''
  tm systemctl show --no-pager \
    -p Id,LoadState,ActiveState,SubState,MainPID,ExecMainStatus,ExecMainCode,NRestarts,UnitFileState,FragmentPath,ExecStart \
    -- "$@" 2>/dev/null </dev/null
  sec_end cmd "$?" -
}
