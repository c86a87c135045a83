# fpmfix verify: run http-load.php, which arrives on stdin, with this host's PHP CLI.
#
#   sh -c "$(cat http-load.sh)" http-load CANDIDATES DIAL-HOST PORT PATH HOST-HEADER CONCURRENCY REQUESTS DURATION-MS TIMEOUT-MS
#
# CANDIDATES names PHP CLIs (names or paths, separated by blanks or newlines); the first one found
# runs the program with no php.ini (-n), so a site's ini (auto_prepend_file, disable_functions) has no say.
# When none is found, one record the reader knows: `fpmfix-load-error no-php MESSAGE`.
set -f
candidates=$1
shift
for php in $candidates; do
  path=$(command -v "$php" 2>/dev/null) || continue
  # A failed exec ends the shell, so only a file that can run is tried.
  if [ -f "$path" ] && [ -x "$path" ]; then
    exec "$path" -n -d display_errors=stderr -- "$@"
  fi
done
# shellcheck disable=SC2086 # split the list into words on purpose
set -- $candidates
printf 'fpmfix-load-error no-php no PHP CLI on this host (looked for: %s)\n' "$*"
exit 127
