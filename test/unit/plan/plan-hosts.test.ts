import {describe, expect, it} from 'vitest'
import {DEFAULT_POLICY} from '../../../src/model/policy.js'
import type {HostTarget} from '../../../src/model/target.js'
import {planHosts} from '../../../src/plan/plan-hosts.js'
import {snapshotStateFingerprints} from '../../../src/plan/state-fingerprints.js'
import {stateFingerprintSha256} from '../../../src/protocol/state-keys.js'
import {createLocalTransport} from '../../../src/transport/local.js'
import type {Transport} from '../../../src/transport/transport.js'

/** The local transport, counting the commands it is asked to run. */
function countingLocal(): Transport & {commands: string[]} {
  const local = createLocalTransport({})
  const commands: string[] = []
  return {
    kind: local.kind,
    commands,
    exec: (command, options) => {
      commands.push(command)
      return local.exec(command, options)
    },
    close: () => local.close(),
  }
}

const local = (name: string): HostTarget => ({name, connection: 'local', address: 'localhost', vars: {}})

describe('planHosts', () => {
  it('reads each host in one exec: the gather brings the journal and the state lines along', async () => {
    const transports = new Map<string, ReturnType<typeof countingLocal>>()
    const plan = await planHosts([local('one'), local('two')], {
      policy: DEFAULT_POLICY,
      forks: 2,
      progress: 'silent',
      open: async (target, work) => {
        const transport = countingLocal()
        transports.set(target.name, transport)
        return work(transport)
      },
    })
    for (const host of plan.hosts) {
      expect(host.status, JSON.stringify(host.error)).not.toBe('failed')
      expect(transports.get(host.name)?.commands).toEqual(['sh -s'])
    }
  }, 60_000)
})

describe('snapshotStateFingerprints', () => {
  const keys = ['service:nginx', 'service:php9.9-fpm']

  it('takes the state lines the gather read, with no exec', async () => {
    const transport = countingLocal()
    const states = {'service:nginx': 'running 81', 'service:php9.9-fpm': 'stopped'}
    expect(await snapshotStateFingerprints({states}, keys, transport)).toEqual(
      keys.map((key) => ({
        kind: 'state',
        key,
        sha256: stateFingerprintSha256(key, states[key as keyof typeof states]),
        state: states[key as keyof typeof states],
      })),
    )
    expect(transport.commands).toEqual([])
  })

  it('reads a key the gather had no line for in one more exec, with the same function', async () => {
    const transport = countingLocal()
    const [nginx, missing] = await snapshotStateFingerprints({states: {'service:nginx': 'running 81'}}, keys, transport)
    expect(nginx?.state).toBe('running 81')
    expect(missing).toEqual({
      kind: 'state',
      key: 'service:php9.9-fpm',
      sha256: stateFingerprintSha256('service:php9.9-fpm', 'stopped'),
      state: 'stopped',
    })
    expect(transport.commands).toHaveLength(1)
  })
})
