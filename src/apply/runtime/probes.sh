# shellcheck shell=sh
# End-to-end probes: a FastCGI round trip per pool and an HTTP GET through nginx, once the
# services took the change, and as an action's gate right after it. Spec: fcgi_probes,
# fcgi_probe_<i>_{address,uri}; http_probes, http_probe_<i>_{url,host}; the same lists prefixed
# action_<i>_gate_ for action i's gate. The PHP clients are journal files (probes/*.php).

# probe_fcgi ADDRESS URI: ADDRESS is unix:///path or tcp://host:port.
probe_fcgi() {
  if ! have "$PHP_CLI"; then
    echo "FastCGI probe of $1 skipped: no PHP CLI ($PHP_CLI) on this host"
    log "FastCGI probe of $1 skipped: no $PHP_CLI"
    return 0
  fi
  "$PHP_CLI" -n "$D/probes/fastcgi-client.php" "$1" "$2" "$PROBE_TIMEOUT_S" 2>&1 && return 0
  echo "FastCGI probe of $1 failed"
  return 1
}

# probe_http URL HOST_HEADER: fails on 502, 504 or no response.
probe_http() {
  ph_err=$D/out/http-stderr
  if have curl; then
    if [ -n "$2" ]; then
      ph_code=$(curl -sS -o /dev/null -w '%{http_code}' --max-time "$PROBE_TIMEOUT_S" -H "Host: $2" "$1" 2>"$ph_err")
    else
      ph_code=$(curl -sS -o /dev/null -w '%{http_code}' --max-time "$PROBE_TIMEOUT_S" "$1" 2>"$ph_err")
    fi
  elif have wget; then
    if [ -n "$2" ]; then
      ph_out=$(wget -S -O /dev/null -T "$PROBE_TIMEOUT_S" -t 1 --header="Host: $2" "$1" 2>&1)
    else
      ph_out=$(wget -S -O /dev/null -T "$PROBE_TIMEOUT_S" -t 1 "$1" 2>&1)
    fi
    printf '%s\n' "$ph_out" > "$ph_err"
    ph_code=$(printf '%s\n' "$ph_out" | sed -n 's/^ *HTTP\/[0-9.]* \([0-9][0-9][0-9]\).*/\1/p' | tail -n 1)
  elif have "$PHP_CLI"; then
    ph_code=$("$PHP_CLI" -n "$D/probes/http-client.php" "$1" "$2" "$PROBE_TIMEOUT_S" 2>"$ph_err")
  else
    echo "HTTP probe of $1 skipped: no curl, wget or PHP CLI on this host"
    return 0
  fi
  case $ph_code in
    000|'') ;;
    502|504) echo "GET $1: $ph_code"; return 1 ;;
    [0-9][0-9][0-9]) echo "GET $1: $ph_code"; return 0 ;;
  esac
  echo "GET $1: no HTTP response"
  cat "$ph_err" 2>/dev/null
  return 1
}

# Probe lists are read under PROBES ('' for the final probes, action_<i>_gate_ for an action's gate).
fcgi_probe() { probe_fcgi "$(spec_get "${PROBES}fcgi_probe_$1_address")" "$(spec_get "${PROBES}fcgi_probe_$1_uri")"; }
http_probe() { probe_http "$(spec_get "${PROBES}http_probe_$1_url")" "$(spec_get "${PROBES}http_probe_$1_host")"; }

# has_probes PREFIX: the spec lists probes under PREFIX.
has_probes() { [ "$(spec_count "${1}fcgi_probes")" != 0 ] || [ "$(spec_count "${1}http_probes")" != 0 ]; }

# run_probes PREFIX: every probe listed under PREFIX; all run, and any failure fails the step.
run_probes() {
  PROBES=$1
  if ! has_probes "$PROBES"; then
    echo "no probes configured"
    return 0
  fi
  rp_rc=0
  for_all "${PROBES}fcgi_probes" fcgi_probe || rp_rc=1
  for_all "${PROBES}http_probes" http_probe || rp_rc=1
  return "$rp_rc"
}
