# shellcheck shell=sh
# The canonical state line of each key, one "state" section per key.
# Fed: B (boundary), KEYS (newline-separated state keys).
state_report "$KEYS"
