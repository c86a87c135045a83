/** Settings and the bounded readers every collector uses (the section framing itself is protocol/sh/frame.sh). */
export const SCRIPT_FRAMING = String.raw`LC_ALL=C
export LC_ALL
PATH="$PATH:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
export PATH
TAB='	'
CAP_CONF=524288
CAP_FILE=1048576
CAP_CMD=4194304
CAP_DUMP=16777216
LOG_LINES=500
LOG_BYTES=262144
TMO=

have() { command -v "$1" >/dev/null 2>&1; }

tm() { if [ -n "$TMO" ]; then timeout "$TMO" "$@"; else "$@"; fi; }
merged() { "$@" 2>&1; }

capped() {
  head -c "$1"
  if [ -n "$(dd bs=1 count=1 2>/dev/null | od -An)" ]; then
    printf '\n%s truncated\n' "$B" >&4
    cat >/dev/null
  fi
}

# run_cmd TAG ARG CAP CMD...: stdout (capped) as a "cmd" section, stderr as a "stderr" section.
run_cmd() {
  rc_tag=$1 rc_arg=$2 rc_cap=$3
  shift 3
  sec_begin cmd "$rc_tag" "$rc_arg"
  rc_res=$( { { "$@" 2>&4 </dev/null; printf '\n%s rc=%s\n' "$B" "$?" >&4; } | capped "$rc_cap" >&3; } 4>&1 )
  rc_code=$(printf '%s\n' "$rc_res" | sed -n "s/^$B rc=//p")
  rc_flags=-
  case $rc_res in *"$B truncated"*) rc_flags=truncated ;; esac
  sec_end cmd "$\{rc_code:--}" "$rc_flags"
  rc_err=$(printf '%s\n' "$rc_res" | grep -v "^$B ")
  if [ -n "$rc_err" ]; then
    sec_begin stderr "$rc_tag" "$rc_arg"
    printf '%s' "$rc_err"
    sec_end stderr - -
  fi
}

# emit_text KIND TAG ARG STATUS TEXT CAP
emit_text() {
  sec_begin "$1" "$2" "$3"
  [ -z "$5" ] || printf '%s\n' "$5" | head -c "$6"
  et_flags=-
  [ "$(printf '%s\n' "$5" | wc -c)" -gt "$6" ] && et_flags=truncated
  sec_end "$1" "$4" "$et_flags"
}

stat_line() { stat "$@" -c '%F|%s|%a|%U|%u|%G|%g|%i' -- "$FM_PATH" 2>/dev/null; }

# emit_meta ROLE PATH [sha]: existence, lstat/stat, symlink target, real path, optional sha256.
emit_meta() {
  FM_PATH=$2
  sec_begin meta "$1" "$2"
  if [ -e "$2" ] || [ -L "$2" ]; then
    echo exists=1
    kv lstat "$(stat_line)"
    kv stat "$(stat_line -L)"
    if [ -L "$2" ]; then
      kv link "$(readlink -- "$2" 2>/dev/null)"
    fi
    kv real "$(readlink -f -- "$2" 2>/dev/null)"
    if [ -r "$2" ]; then echo readable=1; else echo readable=0; fi
    if [ "$3" = sha ] && [ -f "$2" ] && [ -r "$2" ] && have sha256sum; then
      fm_sum=$(sha256sum < "$2" 2>/dev/null)
      kv sha256 "$\{fm_sum%% *}"
    fi
  else
    echo exists=0
    kv error "$(stat -L -c %F -- "$2" 2>&1 >/dev/null)"
  fi
  sec_end meta - -
}

# emit_file ROLE PATH CAP [sha]: meta, then the content (capped) when it is a readable regular file.
emit_file() {
  emit_meta "$1" "$2" "$4"
  if [ -f "$2" ] && [ -r "$2" ]; then
    ef_size=$(stat -L -c %s -- "$2" 2>/dev/null)
    sec_begin data "$1" "$2"
    head -c "$3" < "$2" 2>/dev/null
    ef_rc=$?
    ef_flags=-
    [ "$\{ef_size:-0}" -gt "$3" ] 2>/dev/null && ef_flags=truncated
    sec_end data "$ef_rc" "$ef_flags"
  fi
}

# emit_log SOURCE PATH: the tail of a log file, bounded by lines and bytes.
emit_log() {
  case $2 in
    /*) ;;
    *) sec_begin logtarget "$1" "$2"; sec_end logtarget - -; return ;;
  esac
  case $2 in
    /dev/*|/proc/*) sec_begin logtarget "$1" "$2"; sec_end logtarget - -; return ;;
  esac
  emit_meta "log:$1" "$2"
  if [ -f "$2" ] && [ -r "$2" ]; then
    el_size=$(stat -L -c %s -- "$2" 2>/dev/null)
    sec_begin log "$1" "$2"
    tail -n "$LOG_LINES" "$2" 2>/dev/null | tail -c "$LOG_BYTES"
    el_n=$(tail -n "$LOG_LINES" "$2" 2>/dev/null | tail -c "$LOG_BYTES" | wc -c)
    el_flags=-
    [ "$\{el_size:-0}" -gt "$el_n" ] 2>/dev/null && el_flags=truncated
    sec_end log - "$el_flags"
  fi
}

# glob_list PATTERN: existing non-directory matches, one per line, in glob order.
glob_list() {
  gl_ifs=$IFS
  IFS=$NL
  set +f
  for gl_p in $1; do
    if [ -e "$gl_p" ] && [ ! -d "$gl_p" ]; then printf '%s\n' "$gl_p"; fi
  done
  IFS=$gl_ifs
}

# uniq_lines: drop empty and repeated lines, keeping first-seen order.
uniq_lines() {
  ul_seen=$NL
  while IFS= read -r ul_l; do
    [ -n "$ul_l" ] || continue
    case $ul_seen in *"$NL$ul_l$NL"*) continue ;; esac
    ul_seen=$ul_seen$ul_l$NL
    printf '%s\n' "$ul_l"
  done
}

# for_lines FUNC LIST [ARGS...]: call FUNC LINE ARGS... for each non-empty line, stdin closed.
for_lines() {
  fl_fn=$1 fl_list=$2
  shift 2
  printf '%s\n' "$fl_list" | {
    exec 5<&0 </dev/null
    while IFS= read -r fl_line <&5; do
      [ -n "$fl_line" ] && "$fl_fn" "$fl_line" "$@"
    done
  }
}
`
