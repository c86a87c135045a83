# shellcheck shell=sh
# What a plan fingerprints and notes beside the files, read in this same run by the host
# protocol's own functions (protocol/sh/state.sh, journal.sh): the canonical state line of every
# service and unix socket found, which apply's stale check recomputes with the same code, and
# the fpmfix journal's status. Needs STATE_DIR.

# A "states" section, then one "state" section per key (state_report): service:NAME for every
# service found, socket:PATH for every unix socket a config names or /run holds.
collect_states() {
  cst_keys=
  cst_ifs=$IFS
  IFS=$NL
  set -f
  for cst_s in $SERVICES; do cst_keys=${cst_keys}service:$cst_s$NL; done
  for cst_p in $SOCKETS; do cst_keys=${cst_keys}socket:$cst_p$NL; done
  IFS=$cst_ifs
  set +f
  sec_begin states - ''
  sec_end states - -
  state_report "$cst_keys"
}

# A "journal" section naming the state directory, then journal_status's sections.
collect_journal() {
  sec_begin journal - "$STATE_DIR"
  sec_end journal - -
  journal_status "$STATE_DIR"
}
