# shellcheck shell=sh
# The canonical state line of a state key (see src/protocol/README.md, "State keys"): a plan
# stores the sha256 of it, and apply's stale check recomputes it with this same function.
# Needs proc.sh (and frame.sh for state_report).

# state_line KEY: one line for socket:PATH or service:NAME.
#   socket:PATH   "<type> <owner> <group> <mode> <inode>" of the path, or "absent"
#   service:NAME  "running <master pid>…" (ascending) or "stopped"; nginx when NAME names it, else php-fpm
state_line() {
  case $1 in
    socket:/*)
      stat -c '%F %U %G %a %i' -- "${1#socket:}" 2>/dev/null || echo absent ;;
    service:?*)
      sl_name=${1#service:}
      case $sl_name in *nginx*) sl_kind=nginx ;; *) sl_kind=fpm ;; esac
      sl_pids=$(service_masters "$sl_kind" "$sl_name" '')
      if [ -n "$sl_pids" ]; then echo "running $sl_pids"; else echo stopped; fi ;;
    *)
      echo "unknown state key: $1" >&2
      return 1 ;;
  esac
}

# state_report KEYS: one "state" section per newline-separated key (tag: its index, arg: the key).
state_report() {
  sr_index=0
  while IFS= read -r sr_key; do
    [ -n "$sr_key" ] || continue
    sec_begin state "$sr_index" "$sr_key"
    state_line "$sr_key"
    sec_end state "$?" -
    sr_index=$((sr_index + 1))
  done <<EOF
$1
EOF
}
