# shellcheck shell=sh
# Ships one transaction: stores the payload read on stdin in a new journal directory (sections
# named by their journal path: tx.sh, spec, manifest.json, probes/*.php, new/<n>.b64), lets
# tx.sh check it, starts tx.sh detached from this connection, then follows it (tx_follow).
# A signal-free detach (setsid, no nohup) keeps the transaction's own HUP/TERM traps working;
# without setsid, nohup is the fallback. Fed: B, TXID, STATE_DIR, WINDOW_S.
# Exit 70-72: the transaction was not started (stderr says why).
set -u
umask 077
LC_ALL=C
export LC_ALL
PATH="$PATH:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
export PATH

J=${STATE_DIR%/}/journal
D=$J/$TXID
mkdir -p "$J" || exit 70
mkdir "$D" || { echo "cannot create the journal directory $D" >&2; exit 70; }
if ! mkdir "$D/new" "$D/probes" || ! cat > "$D/payload"; then
  echo "cannot store the payload in $D" >&2
  exit 71
fi

# Each section's content, byte for byte, into the journal file its argument names (the newline
# before END belongs to the framing, not to the content).
if ! awk -v begin="$B BEGIN " -v end="$B END " -v dir="$D" '
  index($0, begin) == 1 { split($0, head, " "); out = dir "/" head[5]; started = 0; inside = 1; printf "" > out; next }
  index($0, end) == 1 { if (inside) close(out); inside = 0; next }
  inside { printf "%s%s", (started ? "\n" : ""), $0 > out; started = 1 }
' "$D/payload"; then
  echo "cannot unpack the payload in $D" >&2
  exit 71
fi
rm -f "$D/payload"

sh "$D/tx.sh" unpack > "$D/unpack.log" 2>&1 || { cat "$D/unpack.log" >&2; exit 72; }
if command -v setsid >/dev/null 2>&1; then
  setsid sh "$D/tx.sh" run </dev/null >>"$D/log" 2>&1 &
else
  nohup sh "$D/tx.sh" run </dev/null >>"$D/log" 2>&1 &
fi
sec_begin started - "$TXID"
kv pid "$!"
sec_end started - -
tx_follow "$D" "$TXID" 0 "$WINDOW_S"
