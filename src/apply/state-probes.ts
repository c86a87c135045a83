import {createHash} from 'node:crypto'
import {FpmfixError} from '../errors.js'
import {hostFile} from '../protocol/host-program.js'
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

/** The sh command (POSIX, LC_ALL=C) printing the canonical state string for a key. */
export function stateProbe(key: string): string {
  parseStateKey(key)
  const library = ['protocol/sh/proc.sh', 'protocol/sh/state.sh'].map((file) => hostFile(file)).join('\n')
  return `(\n${library}\nstate_line ${shellQuote(key)}\n)`
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
