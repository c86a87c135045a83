# shellcheck shell=sh
# Settings and helpers every gather collector uses. Runs after protocol/sh/frame.sh.
# Inputs (data variables set by the caller): B, VERSION, CAP_FILE, CAP_CMD, CAP_DUMP, LOG_BYTES.
#
# The gather starts as few processes as it can: small files and /proc are read with `read`,
# text is taken apart with `case` and parameter expansion, and every path it wants to know
# about is only registered here (meta) and stat'ed, resolved, hashed and read in one batch of
# commands at the end (batch.sh). Functions return values in variables, not through $(…),
# since each command substitution is a process of its own.

LC_ALL=C
export LC_ALL
PATH="$PATH:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
export PATH
# shellcheck disable=SC2034 # used by the collectors
TAB='	'
TMO=
TM=

have() { command -v "$1" >/dev/null 2>&1; }

# WHICH gets the first executable file named $1 in PATH, or ''.
which_into() {
  WHICH=
  wi_ifs=$IFS
  IFS=:
  set -f
  for wi_d in $PATH; do
    case $wi_d in /*) ;; *) continue ;; esac
    if [ -f "$wi_d/$1" ] && [ -x "$wi_d/$1" ]; then
      WHICH=$wi_d/$1
      break
    fi
  done
  IFS=$wi_ifs
  set +f
}

# Commands that can hang on the network (DNS in nginx -T, NSS, D-Bus) run under coreutils
# timeout; BusyBox timeout keeps the output pipe open for up to a second after the command ends.
# (test -ef is not POSIX, but dash, bash and BusyBox ash all have it.)
# shellcheck disable=SC3013
init_timeout() {
  TMO=
  which_into timeout
  [ -n "$WHICH" ] || return 0
  it_timeout=$WHICH
  which_into busybox
  if [ -n "$WHICH" ] && [ "$it_timeout" -ef "$WHICH" ]; then return 0; fi
  [ "$it_timeout" -ef /bin/busybox ] || TMO=30
  # shellcheck disable=SC2034 # used by the collectors
  TM=${TMO:+timeout $TMO}
}
tm() { if [ -n "$TMO" ]; then timeout "$TMO" "$@"; else "$@"; fi; }

# True when the passwd and group databases are only looked up locally (nsswitch.conf), so
# getent cannot wait on a directory server.
nss_is_local() {
  [ -r /etc/nsswitch.conf ] || return 0
  while IFS= read -r nl_l; do
    case $nl_l in passwd:* | group:* | passwd[[:space:]]*:* | group[[:space:]]*:*) ;; *) continue ;; esac
    nl_l=${nl_l#*:}
    set -f
    for nl_s in ${nl_l%%#*}; do
      case $nl_s in files | compat | systemd | db | '['*) ;; *)
        set +f
        return 1
        ;;
      esac
    done
    set +f
  done </etc/nsswitch.conf
  return 0
}

# Lower the priority of this shell once; every command it starts inherits it.
be_polite() {
  renice -n 10 -p $$ >/dev/null 2>&1
  if have ionice; then ionice -c 2 -n 7 -p $$ >/dev/null 2>&1; fi
  return 0
}

# put_file: a small file on stdin as it is, a missing final newline staying missing.
put_file() {
  pf_l=
  while IFS= read -r pf_l; do printf '%s\n' "$pf_l"; done
  [ -z "$pf_l" ] || printf '%s' "$pf_l"
} 2>/dev/null

# GLOB gets the existing non-directory matches of PATTERN, one per line, in glob order.
glob_into() {
  GLOB=
  gi_ifs=$IFS
  IFS=$NL
  set +f
  for gi_p in $1; do
    if [ -e "$gi_p" ] && [ ! -d "$gi_p" ]; then GLOB=$GLOB$gi_p$NL; fi
  done
  IFS=$gi_ifs
}

# UNIQ gets LIST without empty and repeated lines, first-seen order kept.
uniq_into() {
  UNIQ=
  ui_seen=$NL
  ui_ifs=$IFS
  IFS=$NL
  set -f
  for ui_l in $1; do
    case $ui_seen in *"$NL$ui_l$NL"*) continue ;; esac
    ui_seen=$ui_seen$ui_l$NL
    UNIQ=$UNIQ$ui_l$NL
  done
  IFS=$ui_ifs
  set +f
}

# each FUNC LIST [ARGS...]: FUNC LINE ARGS... for each non-empty line, in the current shell.
each() {
  ea_fn=$1 ea_list=$2
  shift 2
  while [ -n "$ea_list" ]; do
    ea_line=${ea_list%%"$NL"*}
    case $ea_list in *"$NL"*) ea_list=${ea_list#*"$NL"} ;; *) ea_list= ;; esac
    [ -z "$ea_line" ] || "$ea_fn" "$ea_line" "$@"
  done
}

# REALS gets one line per path of LIST (absolute paths without newlines, each ended by B): the
# path with every symlink resolved, or an empty line when it has none. One realpath for the
# whole list; each path is followed by /proc/self, which resolves to /proc/<pid> and so closes
# that path's answer (realpath prints nothing for a path it cannot resolve).
realpaths() {
  REALS=
  rp_list=$1
  set --
  while [ -n "$rp_list" ]; do
    set -- "$@" "${rp_list%%"$B"*}" /proc/self
    rp_list=${rp_list#*"$B"}
  done
  [ $# -gt 0 ] || return 0
  if have realpath; then
    rp_out=$(realpath -- "$@" 2>/dev/null)
  else
    rp_out=$(for rp_p; do case $rp_p in /proc/self) echo /proc/0 ;; *) readlink -f -- "$rp_p" 2>/dev/null ;; esac; done)
  fi
  rp_ifs=$IFS
  IFS=$NL
  set -f
  rp_cur=
  for rp_l in $rp_out; do
    case $rp_l in
      /proc/*)
        case ${rp_l#/proc/} in
          '' | *[!0-9]*) rp_cur=$rp_l ;;
          *)
            REALS=$REALS$rp_cur$NL
            rp_cur=
            ;;
        esac
        ;;
      *) rp_cur=$rp_l ;;
    esac
  done
  IFS=$rp_ifs
  set +f
}

# Paths the batch (batch.sh) stats, resolves, hashes, ACL-reads and reads. Each list ends every
# path with the run's boundary B, which no path can contain: META_ALL (every path once),
# META_REAL (existing ones without a newline: realpath answers line by line), META_SHA and
# META_ACL (each once), META_CONTENT and META_TAIL (once per meta section asking for it, in order).
META_ALL=
META_REAL=
META_SHA=
META_ACL=
META_CONTENT=
META_TAIL=

# add_once LIST PATH: ADDED gets LIST with PATH appended unless it is already in it.
add_once() {
  case $B$1 in
    *"$B$2$B"*) ADDED=$1 ;;
    *) ADDED=$1$2$B ;;
  esac
}

# meta ROLE PATH [content] [tail] [sha] [acl] [noreal]: record what the parser needs to know about
# PATH in the role ROLE (nginx-conf, fpm-main:0, socket, dir, log:nginx, exe …): existence and
# readability now; its stat, its real path (unless noreal) and, when asked, its content (or
# its last bytes), sha256 and ACL from the batch.
meta() {
  mt_role=$1 mt_path=$2
  shift 2
  sec_begin meta "$mt_role" "$mt_path"
  add_once "$META_ALL" "$mt_path"
  META_ALL=$ADDED
  if [ -e "$mt_path" ] || [ -L "$mt_path" ]; then
    echo exists=1
    if [ -r "$mt_path" ]; then echo readable=1; else echo readable=0; fi
    mt_real=1
    case $mt_path in *"$NL"*) mt_real= ;; esac
    for mt_want; do
      case $mt_want in
        content)
          if [ -f "$mt_path" ] && [ -r "$mt_path" ]; then
            echo content=1
            META_CONTENT=$META_CONTENT$mt_path$B
          fi
          ;;
        tail)
          if [ -f "$mt_path" ] && [ -r "$mt_path" ]; then
            echo tail=1
            META_TAIL=$META_TAIL$mt_path$B
          fi
          ;;
        sha)
          if [ -f "$mt_path" ] && [ -r "$mt_path" ] && [ -n "$HAVE_SHA" ]; then
            add_once "$META_SHA" "$mt_path"
            META_SHA=$ADDED
          fi
          ;;
        acl)
          if [ -n "$HAVE_ACL" ]; then
            add_once "$META_ACL" "$mt_path"
            META_ACL=$ADDED
          fi
          ;;
        noreal) mt_real= ;;
      esac
    done
    if [ -n "$mt_real" ]; then
      echo resolve=1
      add_once "$META_REAL" "$mt_path"
      META_REAL=$ADDED
    fi
  else
    echo exists=0
  fi
  sec_end meta - -
}
