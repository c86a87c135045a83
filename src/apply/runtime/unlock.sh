# shellcheck shell=sh
# --force-unlock: removes the host lock only when it belongs to LOCK_ID and that transaction's
# process is gone, after its own script has finished it (rolled back what it wrote, or committed
# it when it had passed its probes). Prints the lock (when held) and an "unlock" section whose
# outcome is none, mismatch, alive, removed or kept. Fed: B, STATE_DIR, LOCK_ID.
LC_ALL=C
export LC_ALL

L=${STATE_DIR%/}/lock
unlock_outcome() {
  sec_begin unlock - -
  kv outcome "$1"
  [ -z "${2:-}" ] || kv holder_state "$2"
  sec_end unlock - -
  exit 0
}

[ -d "$L" ] || unlock_outcome none
lock_section "$L"
ul_txid=$(lock_field txid "$L/info")
[ "$ul_txid" = "$LOCK_ID" ] || unlock_outcome mismatch
tx_alive "$(lock_field pid "$L/info")" "$ul_txid" && unlock_outcome alive
T=${STATE_DIR%/}/journal/$ul_txid
if ! tx_final "$(tx_last_state "$T")" && [ -f "$T/tx.sh" ]; then
  sh "$T/tx.sh" recover >> "$T/log" 2>&1 </dev/null
fi
if rm -rf "$L"; then unlock_outcome removed "$(tx_last_state "$T")"; fi
unlock_outcome kept "$(tx_last_state "$T")"
