# shellcheck shell=sh
# The canonical state line of a state key (see src/protocol/README.md, "State keys"): a plan
# stores the sha256 of it, and apply's stale check recomputes it with this same code, whether
# it asks for one key (state_line) or many (state_report, the gather).
# Needs frame.sh and proc.sh.

# state_lines KEYS: STATE_LINES gets one line per non-empty line of KEYS, in order: "0 LINE"
# with the key's canonical line, or "1 " for a key it does not know (said on stderr).
#   socket:PATH   "<type> <owner> <group> <mode> <inode>" of the path, or "absent"
#   service:NAME  "running <master pid>…" (ascending) or "stopped"; nginx when NAME names it, else php-fpm
# One scan of /proc and one stat for every key, however many.
state_lines() {
  STATE_LINES=
  sl_keys=$1
  sl_services=
  sl_left=$1
  set --
  while [ -n "$sl_left" ]; do
    sl_key=${sl_left%%"$NL"*}
    case $sl_left in *"$NL"*) sl_left=${sl_left#*"$NL"} ;; *) sl_left= ;; esac
    case $sl_key in
      socket:/*) set -- "$@" "${sl_key#socket:}" ;;
      service:?*) sl_services=1 ;;
    esac
  done
  # The masters' binaries come from the same stat as the sockets: after the sockets, the exe
  # links of the php-fpm masters. A record of three lines per path that exists: its name, its
  # state line and its %N (keys hold no newline).
  if [ -n "$sl_services" ]; then
    proc_masters_scan
    proc_exe_links
    set -f
    sl_ifs=$IFS
    IFS=$NL
    # shellcheck disable=SC2086 # one link a line
    set -- "$@" $PROC_EXE_LINKS
    IFS=$sl_ifs
    set +f
  fi
  sl_stats=$NL
  if [ $# -gt 0 ] && command -v stat >/dev/null 2>&1; then
    sl_stats=$NL$(QUOTING_STYLE=literal stat -c "%n$NL%F %U %G %a %i$NL%N" -- "$@" 2>/dev/null)$NL
    # What the sockets leave of it is the masters' exe links (without stat, service_masters_of reads them).
    [ -z "$sl_services" ] || proc_exes_from "$sl_stats"
  fi
  sl_left=$sl_keys
  while [ -n "$sl_left" ]; do
    sl_key=${sl_left%%"$NL"*}
    case $sl_left in *"$NL"*) sl_left=${sl_left#*"$NL"} ;; *) sl_left= ;; esac
    case $sl_key in
      '') ;;
      socket:/*)
        sl_path=${sl_key#socket:}
        case $sl_stats in
          "$NL$sl_path$NL"*)
            sl_stats=${sl_stats#"$NL$sl_path$NL"}
            STATE_LINES="${STATE_LINES}0 ${sl_stats%%"$NL"*}$NL"
            sl_stats=${sl_stats#*"$NL"}
            sl_stats=$NL${sl_stats#*"$NL"}
            ;;
          *) STATE_LINES="${STATE_LINES}0 absent$NL" ;;
        esac
        ;;
      service:?*)
        sl_name=${sl_key#service:}
        case $sl_name in *nginx*) sl_kind=nginx ;; *) sl_kind=fpm ;; esac
        service_masters_of "$sl_kind" "$sl_name" ''
        if [ -n "$SM_PIDS" ]; then
          STATE_LINES="${STATE_LINES}0 running $SM_PIDS$NL"
        else
          STATE_LINES="${STATE_LINES}0 stopped$NL"
        fi
        ;;
      *)
        echo "unknown state key: $sl_key" >&2
        STATE_LINES="${STATE_LINES}1 $NL"
        ;;
    esac
  done
}

# state_line KEY: the canonical line of one key.
state_line() {
  if [ -z "$1" ]; then
    echo 'unknown state key: ' >&2
    return 1
  fi
  state_lines "$1"
  case $STATE_LINES in
    '0 '*) printf '%s' "${STATE_LINES#0 }" ;;
    *) return 1 ;;
  esac
}

# state_report KEYS: one "state" section per newline-separated key (tag: its index, arg: the
# key, status: 0, or 1 for a key state_lines does not know).
state_report() {
  state_lines "$1"
  sr_index=0
  sr_lines=$STATE_LINES
  sr_left=$1
  while [ -n "$sr_left" ]; do
    sr_key=${sr_left%%"$NL"*}
    case $sr_left in *"$NL"*) sr_left=${sr_left#*"$NL"} ;; *) sr_left= ;; esac
    [ -n "$sr_key" ] || continue
    sr_line=${sr_lines%%"$NL"*}
    sr_lines=${sr_lines#*"$NL"}
    sec_begin state "$sr_index" "$sr_key"
    [ "${sr_line%% *}" != 0 ] || printf '%s\n' "${sr_line#0 }"
    sec_end state "${sr_line%% *}" -
    sr_index=$((sr_index + 1))
  done
}
