# shellcheck shell=sh
# Which processes are a service's masters: the one rule state fingerprints, the apply runtime
# and the gather share (see src/protocol/README.md, "Service masters"). The scan reads /proc
# with the shell's own `read` and `test`; only the binaries of php-fpm masters cost a program
# (one stat for all of them), so a read of every service's state starts at most two.
# (test -ef is not POSIX, but dash, bash and BusyBox ash all have it.)
# shellcheck disable=SC3013

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

# proc_here PID: the process shares this mount namespace (or its namespace cannot be read). A
# container's daemons share /proc with the host, but not its files, services or sockets: they
# are never this host's service.
proc_here() {
  [ -e "/proc/$1/ns/mnt" ] || return 0
  [ "/proc/$1/ns/mnt" -ef /proc/self/ns/mnt ]
}

# proc_exe PID: the binary the process runs ("(deleted)" dropped: an upgrade replaced the file).
proc_exe() {
  pe_exe=$(readlink "/proc/$1/exe" 2>/dev/null)
  printf '%s\n' "${pe_exe% (deleted)}"
}

# DIGITS gets the decimal digits of $1 in order (what `tr -cd 0-9` keeps).
digits_into() {
  DIGITS=
  dg_rest=$1
  while :; do
    DIGITS=$DIGITS${dg_rest%%[!0-9]*}
    case $dg_rest in
      *[!0-9]*) dg_rest=${dg_rest#*[!0-9]} ;;
      *) return 0 ;;
    esac
  done
}

# PROC_MASTERS gets one "KIND PID" line (KIND nginx or fpm) per master process of this mount
# namespace, ascending by pid: titled "nginx: master process" or "php-fpm: master process".
# Titles are read without their NUL separators: the prefixes sit in argv[0].
proc_masters_scan() {
  PROC_MASTERS=
  PROC_EXES=
  PROC_EXES_READ=
  for ms_d in /proc/[0-9]*; do
    # Only nginx and php-fpm titles are read.
    read -r ms_comm 2>/dev/null < "$ms_d/comm" || continue
    case $ms_comm in nginx*|php*) ;; *) continue ;; esac
    ms_title=
    { IFS= read -r ms_title < "$ms_d/cmdline"; } 2>/dev/null
    case $ms_title in
      'nginx: master process'*) ms_kind=nginx ;;
      'php-fpm: master process'*) ms_kind=fpm ;;
      *) continue ;;
    esac
    ms_pid=${ms_d#/proc/}
    proc_here "$ms_pid" || continue
    # /proc lists pids in text order; keep them in numeric order.
    ms_before=
    ms_after=$PROC_MASTERS
    while [ -n "$ms_after" ]; do
      ms_line=${ms_after%%"$NL"*}
      [ "${ms_line#* }" -lt "$ms_pid" ] || break
      ms_before=$ms_before$ms_line$NL
      ms_after=${ms_after#*"$NL"}
    done
    PROC_MASTERS=$ms_before$ms_kind' '$ms_pid$NL$ms_after
  done
}

# PROC_EXE_LINKS gets the /proc/PID/exe link of every php-fpm master of PROC_MASTERS, one a line.
proc_exe_links() {
  PROC_EXE_LINKS=
  el_left=$PROC_MASTERS
  while [ -n "$el_left" ]; do
    el_line=${el_left%%"$NL"*}
    el_left=${el_left#*"$NL"}
    case $el_line in 'fpm '*) PROC_EXE_LINKS=$PROC_EXE_LINKS/proc/${el_line#fpm }/exe$NL ;; esac
  done
}

# proc_exes_from TEXT: PROC_EXES gets one "PID BINARY" line ("(deleted)" dropped) per line of
# TEXT that is stat's %N of a /proc/PID/exe link (GNU: `NAME -> TARGET` with
# QUOTING_STYLE=literal; BusyBox: `'NAME' -> 'TARGET'`); other lines are passed over.
proc_exes_from() {
  PROC_EXES=
  PROC_EXES_READ=1
  ef_left=$1
  while [ -n "$ef_left" ]; do
    ef_line=${ef_left%%"$NL"*}
    case $ef_left in *"$NL"*) ef_left=${ef_left#*"$NL"} ;; *) ef_left= ;; esac
    case $ef_line in
      "'/proc/"*"/exe' -> '"*"'") ef_pid=${ef_line#"'/proc/"} ef_exe=${ef_line#*"/exe' -> '"} ef_exe=${ef_exe%"'"} ;;
      /proc/*"/exe -> "*) ef_pid=${ef_line#/proc/} ef_exe=${ef_line#*"/exe -> "} ;;
      *) continue ;;
    esac
    ef_pid=${ef_pid%%/*}
    case $ef_pid in '' | *[!0-9]*) continue ;; esac
    PROC_EXES=$PROC_EXES$ef_pid' '${ef_exe% (deleted)}$NL
  done
}

# PROC_EXES gets the binaries of the php-fpm masters of PROC_MASTERS whose links can be read,
# from one stat of their /proc/PID/exe links (readlink of each without stat). Read once per scan.
proc_master_exes() {
  [ -z "$PROC_EXES_READ" ] || return 0
  proc_exe_links
  if ! command -v stat >/dev/null 2>&1; then
    mx_text=
    mx_left=$PROC_EXE_LINKS
    while [ -n "$mx_left" ]; do
      mx_link=${mx_left%%"$NL"*}
      mx_left=${mx_left#*"$NL"}
      mx_exe=$(readlink "$mx_link" 2>/dev/null)
      [ -z "$mx_exe" ] || mx_text="$mx_text$mx_link -> $mx_exe$NL"
    done
    proc_exes_from "$mx_text"
    return 0
  fi
  set -f
  mx_ifs=$IFS
  IFS=$NL
  # shellcheck disable=SC2086 # one link a line
  set -- $PROC_EXE_LINKS
  IFS=$mx_ifs
  set +f
  mx_text=
  [ $# -eq 0 ] || mx_text=$(QUOTING_STYLE=literal stat -c '%N' -- "$@" 2>/dev/null)
  proc_exes_from "$mx_text"
}

# SM_PIDS gets the space-separated pids of the service's masters among PROC_MASTERS, ascending.
# KIND nginx: every nginx master. KIND fpm: every php-fpm master running BINARY (resolved
# through symlinks) or, without BINARY, whose binary carries the version digits of SERVICE
# (php8.2-fpm ↔ php-fpm8.2, php-fpm82, /opt/remi/php82/…; php-fpm ↔ a binary without digits).
service_masters_of() {
  SM_PIDS=
  sm_want='' sm_digits=''
  if [ "$1" = fpm ] && [ -n "$3" ]; then
    sm_want=$(readlink -f -- "$3" 2>/dev/null)
    [ -n "$sm_want" ] || sm_want=$3
  elif [ "$1" = fpm ]; then
    digits_into "$2"
    sm_digits=$DIGITS
  fi
  [ "$1" != fpm ] || proc_master_exes
  sm_left=$PROC_MASTERS
  while [ -n "$sm_left" ]; do
    sm_line=${sm_left%%"$NL"*}
    sm_left=${sm_left#*"$NL"}
    [ "${sm_line%% *}" = "$1" ] || continue
    sm_pid=${sm_line#* }
    if [ "$1" = fpm ]; then
      sm_exe=$NL$PROC_EXES
      case $sm_exe in
        *"$NL$sm_pid "*)
          sm_exe=${sm_exe#*"$NL$sm_pid "}
          sm_exe=${sm_exe%%"$NL"*}
          ;;
        *) sm_exe= ;;
      esac
      if [ -n "$sm_want" ]; then
        [ "$sm_exe" = "$sm_want" ] || continue
      else
        digits_into "$sm_exe"
        [ "$DIGITS" = "$sm_digits" ] || continue
      fi
    fi
    SM_PIDS=${SM_PIDS:+$SM_PIDS }$sm_pid
  done
}

# service_masters KIND SERVICE BINARY: the pids of service_masters_of, on one line.
service_masters() {
  proc_masters_scan
  service_masters_of "$1" "$2" "$3"
  printf '%s\n' "$SM_PIDS"
}
