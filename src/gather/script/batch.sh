# shellcheck shell=sh
# Everything the collectors registered with meta, found out by one command each: lstat and stat
# (one record per path, framed by B), real paths, sha256 sums, ACLs, the contents asked for, and
# the log tails.

# One lstat and one stat (following symlinks) of every registered path: a record per path that
# exists, and stat's complaint about each one that does not.
stat_batch() {
  set --
  sb_list=$META_ALL
  while [ -n "$sb_list" ]; do
    set -- "$@" "${sb_list%%"$B"*}"
    sb_list=${sb_list#*"$B"}
  done
  [ $# -gt 0 ] || return 0
  sec_begin lstat - ''
  QUOTING_STYLE=literal stat -c "$B|%F|%s|%a|%U|%u|%G|%g|%i|$B|%n|$B|%N" -- "$@" 2>/dev/null
  sec_end lstat "$?" -
  sec_begin stat - ''
  sb_err=$(stat -L -c "$B|%F|%s|%a|%U|%u|%G|%g|%i|$B|%n" -- "$@" 2>&1 >&3)
  sec_end stat "$?" -
  sec_begin stderr stat ''
  printf '%s' "$sb_err"
  sec_end stderr - -
}

# list_cmd KIND LIST CMD...: CMD with every path of LIST as arguments, its output a KIND section.
list_cmd() {
  lc_kind=$1 lc_list=$2
  shift 2
  [ -n "$lc_list" ] || return 0
  while [ -n "$lc_list" ]; do
    set -- "$@" "${lc_list%%"$B"*}"
    lc_list=${lc_list#*"$B"}
  done
  sec_begin "$lc_kind" - ''
  "$@" 2>/dev/null </dev/null
  sec_end "$lc_kind" "$?" -
}

# The contents asked for, in order, by one head: between two files it reads its own
# /proc/self/environ, which holds nothing but B=<boundary> and so cannot be forged by a file.
content_batch() {
  [ -n "$META_CONTENT" ] || return 0
  which_into head
  set --
  cb_list=$META_CONTENT
  while [ -n "$cb_list" ]; do
    [ $# -eq 0 ] || set -- "$@" /proc/self/environ
    set -- "$@" "${cb_list%%"$B"*}"
    cb_list=${cb_list#*"$B"}
  done
  sec_begin content - ''
  env -i "B=$B" "${WHICH:-head}" -q -c "$CAP_FILE" -- "$@" 2>/dev/null </dev/null
  sec_end content "$?" -
}

log_tail() {
  lt_src=${1%%"$TAB"*}
  lt_path=${1#*"$TAB"}
  sec_begin log "$lt_src" "$lt_path"
  tail -c "$LOG_BYTES" -- "$lt_path" 2>/dev/null </dev/null
  sec_end log "$?" -
}

batch() {
  stat_batch
  if [ -n "$META_REAL" ]; then
    realpaths "$META_REAL"
    sec_begin real - ''
    printf '%s' "$REALS"
    sec_end real - -
  fi
  list_cmd sha256 "$META_SHA" sha256sum --
  list_cmd acl "$META_ACL" getfacl -p --
  content_batch
  # After the stat: a log that grows meanwhile is not mistaken for a cut one.
  each log_tail "$LOG_TAILS"
}
