# shellcheck shell=sh
# What `fpmfix rollback` undoes: the newest committed apply (in lock order) not undone yet. An
# "undo" section (its txid; none when there is nothing to undo), its manifest, a "pre" section
# (which services ran before it), then per file N a "file" section (tag N: real path, sha256 of
# the backup, absent, written) and an "orig" section with the backup's bytes in base64.
# Fed: B, STATE_DIR.
LC_ALL=C
export LC_ALL

J=${STATE_DIR%/}/journal
found=$(journal_newest_first "$J" | while IFS= read -r tx; do
  [ "$(cat "$J/$tx/kind" 2>/dev/null)" = apply ] || continue
  [ "$(tx_last_state "$J/$tx")" = committed ] || continue
  [ -e "$J/$tx/undone-by" ] && continue
  echo "$tx"
  break
done)
sec_begin undo - "$found"
sec_end undo - -
[ -n "$found" ] || exit 0
T=$J/$found
file_section manifest "$T/manifest.json"
sec_begin pre - -
for f in "$T"/pre/a*.running; do
  [ -f "$f" ] || continue
  name=${f##*/}
  kv "$(printf '%s' "${name%.running}" | tr -cd 'a-z0-9_')_running" "$(cat "$f")"
done
sec_end pre - -
for d in "$T"/files/*; do
  [ -d "$d" ] || continue
  sec_begin file "${d##*/}" -
  kv real "$(cat "$d/real")"
  kv sha "$(cat "$d/orig.sha")"
  [ -f "$d/absent" ] && kv absent 1
  [ -f "$d/written" ] && kv written 1
  sec_end file - -
  if [ -f "$d/orig" ]; then
    sec_begin orig "${d##*/}" -
    base64 < "$d/orig" 2>/dev/null || openssl base64 < "$d/orig"
    sec_end orig - -
  fi
done
