# shellcheck shell=sh
# Section framing shared by every fpmfix host program (see src/protocol/README.md).
# Needs B, the run's boundary token, set by the caller.

NL='
'

# Header fields: safe text as is, anything else as "~" + hex bytes.
enc() {
  case $1 in
    '') printf '~' ;;
    *[!A-Za-z0-9._/@%+=:,-]*) printf '~'; printf '%s' "$1" | od -An -v -tx1 | tr -d ' \n' ;;
    *) printf '%s' "$1" ;;
  esac
}

# sec_begin KIND TAG ARG / sec_end KIND STATUS FLAGS: one section; the newline before END is always added.
# (No command substitution: a host program may print many sections, and each would be a process.)
sec_begin() {
  printf '%s BEGIN %s %s ' "$B" "$1" "$2"
  enc "$3"
  echo
}
sec_end() { printf '\n%s END %s %s %s\n' "$B" "$1" "$2" "$3"; }

# kv KEY VALUE: key=value, or key~=hex when the value spans lines.
kv() {
  case $2 in
    *"$NL"*) printf '%s~=' "$1"; printf '%s' "$2" | od -An -v -tx1 | tr -d ' \n'; echo ;;
    *) printf '%s=%s\n' "$1" "$2" ;;
  esac
}
