import {stateFingerprintSha256, stateProbe} from '../apply/state-probes.js'
import {FpmfixError} from '../errors.js'
import type {HostFacts} from '../model/facts.js'
import type {Fingerprint, ServiceAction} from '../model/plan.js'
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
 * Read the state fingerprints with the same probes apply re-runs, in one exec.
 * Each probe's output is framed by a marker line so one probe's text cannot shift another's.
 */
export async function readStateFingerprints(transport: Transport, keys: string[]): Promise<Fingerprint[]> {
  if (keys.length === 0) return []
  const marker = `FPMFIX-STATE-${Math.random().toString(36).slice(2)}`
  const script = keys.map((key, index) => `echo ${marker} ${index}\n${stateProbe(key)}`).join('\n')
  const result = await transport.exec(`LC_ALL=C; export LC_ALL\n${script}\n`)
  const outputs = result.stdout.split(new RegExp(`^${marker} \\d+\\n`, 'm')).slice(1)
  if (outputs.length !== keys.length) {
    throw new FpmfixError(
      'GATHER_FAILED',
      `reading service and socket state failed: ${result.stderr.trim() || `exit ${result.code}`}`,
    )
  }
  return keys.map((key, index) => ({kind: 'state', key, sha256: stateFingerprintSha256(key, outputs[index]!)}))
}
