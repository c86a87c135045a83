import type {HostFacts} from '../model/facts.js'
import type {Fingerprint, ServiceAction} from '../model/plan.js'
import type {HostSnapshot} from '../model/snapshot.js'
import {readStates, stateFingerprintSha256} from '../protocol/state-keys.js'
import type {Transport} from '../transport/transport.js'

/** The live state a plan depends on: each acted-on service and the unix sockets of its pools. */
export function stateKeys(actions: ServiceAction[], facts: HostFacts): string[] {
  const keys = new Set<string>()
  for (const action of actions) {
    keys.add(`service:${action.service}`)
    const target = action.target
    const install = target.kind === 'php-fpm' ? facts.installs.find((entry) => entry.id === target.install) : undefined
    for (const pool of install?.pools ?? [])
      if (pool.listen.value?.kind === 'unix') keys.add(`socket:${pool.listen.value.path}`)
  }
  return [...keys]
}

function stateFingerprint(key: string, state: string): Fingerprint {
  return {kind: 'state', key, sha256: stateFingerprintSha256(key, state), state}
}

/**
 * Read the state fingerprints with the function apply's stale check re-runs, in one exec. The
 * state line itself is kept beside its hash, so a stale plan can say what changed.
 */
export async function readStateFingerprints(transport: Transport, keys: string[]): Promise<Fingerprint[]> {
  const states = await readStates(transport, keys)
  return keys.map((key) => stateFingerprint(key, states.get(key)!))
}

/**
 * The state fingerprints of `keys` from the state lines the gather read in its own run (the same
 * state_line apply's stale check re-runs). A key the gather had no line for (a pool socket only
 * an unparsable config names, say) is read in one more exec.
 */
export async function snapshotStateFingerprints(
  snapshot: Pick<HostSnapshot, 'states'>,
  keys: string[],
  transport: Transport,
): Promise<Fingerprint[]> {
  const gathered = snapshot.states ?? {}
  const missing = keys.filter((key) => gathered[key] === undefined)
  const read = missing.length === 0 ? new Map<string, string>() : await readStates(transport, missing)
  return keys.map((key) => stateFingerprint(key, gathered[key] ?? read.get(key)!))
}
