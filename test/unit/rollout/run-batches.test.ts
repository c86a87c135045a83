import {setImmediate as turn} from 'node:timers/promises'
import {describe, expect, it} from 'vitest'

import {FpmfixError} from '../../../src/errors.js'
import type {HostTarget} from '../../../src/model/target.js'
import {RolloutGate} from '../../../src/rollout/rollout.js'
import {runBatches, type HostOutcome, type StartGate} from '../../../src/run/host-runner.js'

const target = (name: string): HostTarget => ({name, connection: 'ssh', address: `${name}.example.com`, vars: {}})

/** Hosts whose work ends only when the test says how: the order of events is the test's, not the machine's. */
function controlledHosts() {
  const started: string[] = []
  const finish = new Map<string, (status: string) => void>()
  const work = (host: HostTarget): Promise<string> => {
    started.push(host.name)
    return new Promise<string>((resolve, reject) =>
      finish.set(host.name, (status) =>
        status === 'throw' ? reject(new FpmfixError('SSH_CONNECT_REFUSED', 'refused')) : resolve(status),
      ),
    )
  }
  /** Let every host that can start now start (listr2 starts tasks over a few turns of the event loop). */
  const settle = async (): Promise<void> => {
    for (let index = 0; index < 20; index += 1) await turn()
  }
  const end = async (name: string, status: string): Promise<void> => {
    const done = finish.get(name)
    if (done === undefined) throw new Error(`${name} has not started`)
    done(status)
    await settle()
  }
  return {started, work, settle, end}
}

function gateOf(gate: RolloutGate): StartGate<string> {
  return {
    closed: () => gate.closed(),
    started: () => gate.started(),
    ended: (batch, outcome: HostOutcome<string>) => gate.ended(batch, outcome.ok ? outcome.value : 'failed'),
  }
}

describe('hosts in batches behind a gate', () => {
  it('starts a batch only once every host of the previous one has ended, and stops at a failure', async () => {
    const hosts = controlledHosts()
    const batches = [[target('a')], [target('b'), target('c')], [target('d')]]
    const running = runBatches(batches, hosts.work, {forks: 10, progress: 'silent', gate: gateOf(new RolloutGate(0))})
    await hosts.settle()
    expect(hosts.started).toEqual(['a'])
    await hosts.end('a', 'applied')
    expect(hosts.started).toEqual(['a', 'b', 'c'])
    await hosts.end('c', 'refused-stale')
    expect(hosts.started, 'b is still running: the next batch waits').toEqual(['a', 'b', 'c'])
    await hosts.end('b', 'applied')
    const run = await running
    expect(hosts.started, 'd was never started').toEqual(['a', 'b', 'c'])
    expect(run.outcomes.map((outcome) => [outcome.target.name, outcome.ok && outcome.value])).toEqual([
      ['a', 'applied'],
      ['b', 'applied'],
      ['c', 'refused-stale'],
    ])
    expect(run.notStarted).toEqual([
      {
        target: batches[2]![0],
        batch: 3,
        reason: 'rollout stopped in batch 2: 1 of 3 hosts attempted failed (33.3% > 0%)',
      },
    ])
  })

  it('runs at most --forks hosts of a batch at once, and holds back the ones still waiting once the gate closes', async () => {
    const hosts = controlledHosts()
    const batch = ['a', 'b', 'c', 'd'].map(target)
    const running = runBatches([batch], hosts.work, {forks: 2, progress: 'silent', gate: gateOf(new RolloutGate(25))})
    await hosts.settle()
    expect(hosts.started).toEqual(['a', 'b'])
    await hosts.end('a', 'applied')
    expect(hosts.started).toEqual(['a', 'b', 'c'])
    // 1 of 3 attempted is over 25%: d, waiting for a fork, does not start; c, running, finishes.
    await hosts.end('b', 'throw')
    expect(hosts.started).toEqual(['a', 'b', 'c'])
    await hosts.end('c', 'applied')
    const run = await running
    expect(run.outcomes.map((outcome) => outcome.target.name)).toEqual(['a', 'b', 'c'])
    expect(run.outcomes[1]).toMatchObject({ok: false, error: {code: 'SSH_CONNECT_REFUSED'}})
    expect(run.notStarted.map((host) => [host.target.name, host.batch])).toEqual([['d', 1]])
  })

  it('without a gate runs every batch, whatever fails', async () => {
    const hosts = controlledHosts()
    const running = runBatches([[target('a')], [target('b')]], hosts.work, {forks: 1, progress: 'silent'})
    await hosts.settle()
    await hosts.end('a', 'throw')
    await hosts.end('b', 'applied')
    const run = await running
    expect(run.outcomes.map((outcome) => outcome.ok)).toEqual([false, true])
    expect(run.notStarted).toEqual([])
  })
})
