# shellcheck shell=sh
# fpmfix verify: run http-load.php, which arrives on stdin, with this host's PHP CLI.
# Fed (src/verify/load-on-host.ts): PHP_CANDIDATES, PHP CLIs by name or path separated by blanks,
# tried in order; DIAL_HOST PORT REQUEST_PATH HOST_HEADER CONCURRENCY REQUESTS DURATION_MS TIMEOUT_MS,
# the program's arguments. The CLI runs with no php.ini (-n): a site's ini (auto_prepend_file,
# disable_functions) has no say. When none is found, one record the reader knows:
# `fpmfix-load-error no-php MESSAGE`.
set -f
for php in $PHP_CANDIDATES; do
  path=$(command -v "$php" 2>/dev/null) || continue
  # A failed exec ends the shell, so only a file that can run is tried.
  if [ -f "$path" ] && [ -x "$path" ]; then
    exec "$path" -n -d display_errors=stderr -- "$DIAL_HOST" "$PORT" "$REQUEST_PATH" "$HOST_HEADER" \
      "$CONCURRENCY" "$REQUESTS" "$DURATION_MS" "$TIMEOUT_MS"
  fi
done
# shellcheck disable=SC2086 # split the list into words on purpose
set -- $PHP_CANDIDATES
printf 'fpmfix-load-error no-php no PHP CLI on this host (looked for: %s)\n' "$*"
exit 127
