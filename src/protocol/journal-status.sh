# shellcheck shell=sh
# The host's journal status: the lock, when held, and the latest transaction's report.
# Fed: B (boundary), STATE_DIR.
journal_status "$STATE_DIR"
