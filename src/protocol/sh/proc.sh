# shellcheck shell=sh
# Which processes are a service's masters: the one rule state fingerprints, the apply runtime
# and the gather's process scan share (see src/protocol/README.md, "Service masters").

PROC_SELF_MNTNS=$(readlink /proc/self/ns/mnt 2>/dev/null)

# proc_title PID: the process title, argv joined by spaces.
proc_title() { tr '\000' ' ' 2>/dev/null < "/proc/$1/cmdline"; }

# proc_gone PID: no such process any more, or only its zombie.
proc_gone() {
  [ -d "/proc/$1" ] || return 0
  read -r pg_st 2>/dev/null < "/proc/$1/stat" || return 0
  pg_rest=${pg_st##*) }
  case $pg_rest in Z*|X*) return 0 ;; esac
  return 1
}

# proc_here PID: the process shares this mount namespace. A container's daemons share /proc
# with the host, but not its files, services or sockets: they are never this host's service.
proc_here() {
  ph_ns=$(readlink "/proc/$1/ns/mnt" 2>/dev/null)
  [ -z "$ph_ns" ] || [ "$ph_ns" = "$PROC_SELF_MNTNS" ]
}

# proc_exe PID: the binary the process runs ("(deleted)" dropped: an upgrade replaced the file).
proc_exe() {
  pe_exe=$(readlink "/proc/$1/exe" 2>/dev/null)
  printf '%s\n' "${pe_exe% (deleted)}"
}

digits_of() { printf '%s' "$1" | tr -cd 0-9; }

# service_masters KIND SERVICE BINARY: pids of the service's master processes in this mount
# namespace, ascending, space-separated. KIND nginx: every "nginx: master process". KIND fpm:
# every "php-fpm: master process" running BINARY (resolved through symlinks) or, without
# BINARY, whose binary carries the version digits of SERVICE (php8.2-fpm ↔ php-fpm8.2,
# php-fpm82, /opt/remi/php82/…; php-fpm ↔ a binary without digits).
service_masters() {
  sm_kind=$1 sm_want='' sm_digits=''
  if [ "$sm_kind" = fpm ] && [ -n "$3" ]; then
    sm_want=$(readlink -f -- "$3" 2>/dev/null)
    [ -n "$sm_want" ] || sm_want=$3
  elif [ "$sm_kind" = fpm ]; then
    sm_digits=$(digits_of "$2")
  fi
  sm_out=
  for sm_d in /proc/[0-9]*; do
    # Only nginx and php-fpm titles are read: the scan forks nothing for other processes.
    read -r sm_comm 2>/dev/null < "$sm_d/comm" || continue
    case $sm_comm in nginx*|php*) ;; *) continue ;; esac
    sm_pid=${sm_d#/proc/}
    sm_title=$(proc_title "$sm_pid") || continue
    case $sm_kind:$sm_title in
      'nginx:nginx: master process'*|'fpm:php-fpm: master process'*) ;;
      *) continue ;;
    esac
    proc_here "$sm_pid" || continue
    if [ -n "$sm_want" ]; then
      [ "$(proc_exe "$sm_pid")" = "$sm_want" ] || continue
    elif [ "$sm_kind" = fpm ]; then
      [ "$(digits_of "$(proc_exe "$sm_pid")")" = "$sm_digits" ] || continue
    fi
    sm_out="$sm_out $sm_pid"
  done
  # shellcheck disable=SC2086 # pids are digits, one per word
  sm_out=$(printf '%s\n' $sm_out | sort -n)
  # shellcheck disable=SC2086
  echo $sm_out
}
