# shellcheck shell=sh
# Follows a running transaction: its steps after the first SEEN as they complete, then its report.
# Fed: B, D (its journal directory), TXID, SEEN, WINDOW_S.
LC_ALL=C
export LC_ALL
tx_follow "$D" "$TXID" "$SEEN" "$WINDOW_S"
