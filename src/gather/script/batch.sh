# shellcheck shell=sh
# Everything the collectors registered with meta, found out by one command each: lstat and stat
# (one record per path, framed by B), real paths, sha256 sums, ACLs, the contents and the log
# tails asked for.

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

# read_batch KIND LIST CMD...: CMD (head or tail) over every path of LIST in order, its output a
# KIND section. Between two files it reads its own /proc/self/environ, which holds nothing but
# B=<boundary> and so cannot be forged by a file.
read_batch() {
  rb_kind=$1 rb_list=$2 rb_cmd=$3
  shift 3
  [ -n "$rb_list" ] || return 0
  which_into "$rb_cmd"
  rb_n=$#
  while [ -n "$rb_list" ]; do
    [ $# -eq "$rb_n" ] || set -- "$@" /proc/self/environ
    set -- "$@" "${rb_list%%"$B"*}"
    rb_list=${rb_list#*"$B"}
  done
  sec_begin "$rb_kind" - ''
  env -i "B=$B" "${WHICH:-$rb_cmd}" "$@" 2>/dev/null </dev/null
  sec_end "$rb_kind" "$?" -
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
  read_batch content "$META_CONTENT" head -q -c "$CAP_FILE" --
  # After the stat: a log that grows meanwhile is not mistaken for a cut one.
  read_batch tails "$META_TAIL" tail -q -c "$LOG_BYTES" --
}
