import {createHash} from 'node:crypto'
import {FpmfixError} from '../errors.js'
import {shellQuote} from '../util/shell-quote.js'

/**
 * State fingerprints: a sh command prints a canonical line for a state key, the plan stores
 * the sha256 of it, and apply re-runs the same command and compares. Both sides use this
 * module, so the command and the canonical form cannot drift apart.
 *
 * Keys:
 * - `socket:<path>`: `<type> <owner> <group> <mode> <inode>` of the path (stat), or `absent`.
 * - `service:<name>`: `running <pid> …` (the service's master pids, sorted) or `stopped`.
 *   Under systemd with the unit loaded, the unit's MainPID; otherwise the master processes
 *   found in /proc: `nginx: master process` for nginx, `php-fpm: master process` whose binary
 *   carries the same version digits as the name (php8.2-fpm ↔ php-fpm8.2, php-fpm82, php74-php-fpm).
 */
export type StateKeyKind = 'socket' | 'service'

export interface StateKey {
  kind: StateKeyKind
  subject: string
}

export function parseStateKey(key: string): StateKey {
  const colon = key.indexOf(':')
  const kind = key.slice(0, colon)
  const subject = key.slice(colon + 1)
  if (colon < 0 || subject === '' || (kind !== 'socket' && kind !== 'service')) {
    throw new FpmfixError('PLAN_FILE_INVALID', `unknown state fingerprint key ${JSON.stringify(key)}`, {
      hint: 'State keys are socket:<absolute path> or service:<service name>; re-run fpmfix plan.',
    })
  }
  if (kind === 'socket' && !subject.startsWith('/')) {
    throw new FpmfixError('PLAN_FILE_INVALID', `socket state key needs an absolute path: ${JSON.stringify(key)}`)
  }
  if (kind === 'service' && !/^[A-Za-z0-9@._-]+$/.test(subject)) {
    throw new FpmfixError('PLAN_FILE_INVALID', `service state key has an invalid service name: ${JSON.stringify(key)}`)
  }
  return {kind, subject}
}

function socketProbe(path: string): string {
  return `stat -c '%F %U %G %a %i' -- ${shellQuote(path)} 2>/dev/null || echo absent`
}

function serviceProbe(service: string): string {
  const name = shellQuote(service)
  const unit = shellQuote(`${service}.service`)
  const title = service.includes('nginx') ? "'nginx: master process'*" : "'php-fpm: master process'*"
  const digitsCheck = service.includes('nginx')
    ? ''
    : `    sp_exe=$(readlink "$sp_d/exe" 2>/dev/null)
    [ "$(printf '%s' "$sp_exe" | tr -cd 0-9)" = "$(printf '%s' ${name} | tr -cd 0-9)" ] || continue
`
  return `(
  sp_pids=
  if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1 &&
    [ "$(systemctl show -p LoadState ${unit} 2>/dev/null)" = LoadState=loaded ]; then
    sp_main=$(systemctl show -p MainPID ${unit} 2>/dev/null)
    sp_main=\${sp_main#MainPID=}
    case $sp_main in ''|0|*[!0-9]*) ;; *) sp_pids=$sp_main ;; esac
  else
    sp_self=$(readlink /proc/self/ns/mnt 2>/dev/null)
    for sp_d in /proc/[0-9]*; do
      read -r sp_comm 2>/dev/null < "$sp_d/comm" || continue
      case $sp_comm in nginx*|php*) ;; *) continue ;; esac
      sp_title=$(tr '\\000' ' ' 2>/dev/null < "$sp_d/cmdline") || continue
      case $sp_title in ${title}) ;; *) continue ;; esac
      sp_ns=$(readlink "$sp_d/ns/mnt" 2>/dev/null)
      [ -z "$sp_ns" ] || [ "$sp_ns" = "$sp_self" ] || continue
${digitsCheck}      sp_pids="$sp_pids \${sp_d#/proc/}"
    done
  fi
  if [ -n "$sp_pids" ]; then
    printf 'running'
    printf '%s\\n' $sp_pids | sort -n | while read -r sp_p; do printf ' %s' "$sp_p"; done
    echo
  else
    echo stopped
  fi
)`
}

/** The sh command (POSIX, LC_ALL=C) printing the canonical state string for a key. */
export function stateProbe(key: string): string {
  const parsed = parseStateKey(key)
  return parsed.kind === 'socket' ? socketProbe(parsed.subject) : serviceProbe(parsed.subject)
}

/**
 * The canonical state from a probe's stdout: what sh's `$(…)` keeps, i.e. without trailing
 * newlines. The transaction hashes `printf '%s' "$(probe)"`, so this must stay exactly that.
 */
export function canonicalState(key: string, output: string): string {
  parseStateKey(key)
  return output.replace(/\n+$/, '')
}

/** sha256 (hex) of the canonical state, as stored in a `state` fingerprint. */
export function stateFingerprintSha256(key: string, output: string): string {
  return createHash('sha256').update(canonicalState(key, output), 'utf8').digest('hex')
}
