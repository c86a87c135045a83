import {createHash} from 'node:crypto'

import {FpmfixError} from '../errors.js'
import type {Transport} from '../transport/transport.js'
import {newBoundary} from './boundary.js'
import {splitSections} from './frames.js'
import {hostProgram} from './host-program.js'

/**
 * State keys (README.md here, "State keys"): `state_line` in sh/state.sh prints a canonical
 * line for a key, a plan stores the sha256 of it, and apply's stale check recomputes that line
 * with the same function, so both sides cannot drift apart.
 *
 * - `socket:<path>`: `<type> <owner> <group> <mode> <inode>` of the path, or `absent`.
 * - `service:<name>`: `running <master pid>…` (ascending) or `stopped`; the masters are found by
 *   `service_masters` (sh/proc.sh), the rule the apply runtime also uses.
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
  if (kind === 'socket' && (!subject.startsWith('/') || /[\0\n]/.test(subject))) {
    throw new FpmfixError('PLAN_FILE_INVALID', `socket state key needs an absolute path: ${JSON.stringify(key)}`)
  }
  if (kind === 'service' && !/^[A-Za-z0-9@._-]+$/.test(subject)) {
    throw new FpmfixError('PLAN_FILE_INVALID', `service state key has an invalid service name: ${JSON.stringify(key)}`)
  }
  return {kind, subject}
}

export function isStateKey(key: string): boolean {
  try {
    parseStateKey(key)
    return true
  } catch {
    return false
  }
}

/** The canonical line from what state_line printed: what sh's `$(…)` keeps, i.e. without trailing newlines. */
export function canonicalState(key: string, output: string): string {
  parseStateKey(key)
  return output.replace(/\n+$/, '')
}

/** sha256 (hex) of the canonical state, as a `state` fingerprint stores it. */
export function stateFingerprintSha256(key: string, output: string): string {
  return createHash('sha256').update(canonicalState(key, output), 'utf8').digest('hex')
}

export const STATE_LIBRARIES = ['protocol/sh/frame.sh', 'protocol/sh/proc.sh', 'protocol/sh/state.sh']

/** The canonical state line of every key, read on the host in one exec. */
export async function readStates(transport: Transport, keys: string[]): Promise<Map<string, string>> {
  const states = new Map<string, string>()
  if (keys.length === 0) return states
  for (const key of keys) parseStateKey(key)
  const boundary = newBoundary()
  const program = hostProgram([...STATE_LIBRARIES, 'protocol/state-report.sh'], {
    B: boundary,
    KEYS: keys.join('\n'),
  })
  const result = await transport.exec(program)
  for (const section of splitSections(result.stdout, boundary).sections) {
    const key = keys[Number(section.tag)]
    if (section.kind === 'state' && section.complete && section.status === 0 && key === section.arg) {
      states.set(key, canonicalState(key, section.content))
    }
  }
  const missing = keys.filter((key) => !states.has(key))
  if (missing.length > 0) {
    throw new FpmfixError(
      'GATHER_FAILED',
      `reading the state of ${missing.join(', ')} failed: ${result.stderr.trim() || `exit ${result.code}`}`,
    )
  }
  return states
}
