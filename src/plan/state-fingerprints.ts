import type {HostFacts} from '../model/facts.js'
import type {Fingerprint, ServiceAction} from '../model/plan.js'
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

/**
 * Read the state fingerprints with the function apply's stale check re-runs, in one exec. The
 * state line itself is kept beside its hash, so a stale plan can say what changed.
 */
export async function readStateFingerprints(transport: Transport, keys: string[]): Promise<Fingerprint[]> {
  const states = await readStates(transport, keys)
  return keys.map((key) => {
    const state = states.get(key)!
    return {kind: 'state', key, sha256: stateFingerprintSha256(key, state), state}
  })
}
