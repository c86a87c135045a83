import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join, resolve} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import type {ConnectionFlagValues} from '../../../src/cli/connection-flags.js'
import {planTargets} from '../../../src/cli/plan-targets.js'
import type {HostPlan} from '../../../src/model/plan.js'
import type {HostConnection} from '../../../src/model/target.js'
import {HOST_KEY, planDocument} from '../../support/plan-document.js'

function reached(name: string, port: number): HostConnection {
  return {
    connection: 'ssh',
    become: false,
    ssh: {
      name,
      address: '10.0.0.5',
      port,
      user: 'deploy',
      privateKeyFile: '/keys/plan_ed25519',
      knownHostsFile: '/keys/known_hosts',
      hostKey: HOST_KEY,
    },
    jumpHosts: [{name: 'bastion', address: '203.0.113.9', port: 22, user: 'jump', hostKey: HOST_KEY}],
  }
}

function host(name: string, status: HostPlan['status'], connection?: HostConnection): HostPlan {
  return {
    name,
    address: name,
    status,
    findings: [],
    changes: [],
    actions: [],
    fingerprints: [],
    notes: [],
    ...(connection === undefined ? {} : {connection}),
    ...(status === 'failed' ? {error: {code: 'SSH_CONNECT_REFUSED', message: 'refused'}} : {}),
  }
}

const flags = (extra: Partial<ConnectionFlagValues> = {}): ConnectionFlagValues => ({
  become: false,
  forks: 10,
  'accept-new-host-keys': false,
  ...extra,
})

const fleet = planDocument([
  host('web1', 'changes', reached('web1', 2201)),
  host('web2', 'changes', reached('web2', 2202)),
  host('db1', 'unchanged', reached('db1', 2203)),
  host('web3', 'failed'),
])

let directory: string
beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'fpmfix-plan-targets-'))
})
afterAll(async () => {
  await rm(directory, {recursive: true, force: true})
})

describe('apply PLANFILE: where each planned host is reached', () => {
  it('exactly as recorded, with no flag and no inventory; a host the plan could not make is skipped', async () => {
    const {targets, skipped, overrides} = await planTargets(fleet, flags())
    expect(targets.map((target) => [target.name, target.address, target.port, target.user])).toEqual([
      ['web1', '10.0.0.5', 2201, 'deploy'],
      ['web2', '10.0.0.5', 2202, 'deploy'],
      ['db1', '10.0.0.5', 2203, 'deploy'],
    ])
    expect(targets[0]?.recorded).toEqual(reached('web1', 2201))
    expect(skipped).toEqual([
      {name: 'web3', address: 'web3', reason: 'the plan has no result for this host: SSH_CONNECT_REFUSED refused'},
    ])
    expect(overrides).toEqual([])
  })

  it('--limit keeps some of the plan’s hosts (names, wildcards, exclusions); the others are skipped', async () => {
    const names = async (limit: string) => {
      const {targets, skipped} = await planTargets(fleet, flags({limit}))
      return {applied: targets.map((target) => target.name), skipped: skipped.map((entry) => entry.name)}
    }
    expect(await names('web1')).toEqual({applied: ['web1'], skipped: ['web2', 'db1', 'web3']})
    expect(await names('web*:!web2')).toEqual({applied: ['web1'], skipped: ['web2', 'db1', 'web3']})
    expect(await names('all:!db1')).toEqual({applied: ['web1', 'web2'], skipped: ['db1', 'web3']})
    await expect(planTargets(fleet, flags({limit: 'mail1'}))).rejects.toMatchObject({code: 'UNKNOWN_TARGET'})
  })

  it('--limit may name the inventory’s groups when -i is given', async () => {
    const inventory = join(directory, 'groups.ini')
    await writeFile(inventory, '[frontends]\nweb1\nweb2\n[databases]\ndb1\n')
    const {targets} = await planTargets(fleet, flags({limit: 'databases', inventory}))
    expect(targets.map((target) => target.name)).toEqual(['db1'])
  })

  it('connection flags override the recorded values, each override said once per host', async () => {
    const {targets, overrides} = await planTargets(
      fleet,
      flags({
        limit: 'web1',
        user: 'ops',
        'private-key': 'keys/other_ed25519',
        'known-hosts': '/keys/known_hosts',
        become: true,
      }),
    )
    const target = targets[0]!
    expect(target.recorded?.ssh).toMatchObject({
      user: 'ops',
      privateKeyFile: resolve('keys/other_ed25519'),
      hostKey: HOST_KEY,
    })
    expect(target.recorded?.become).toBe(true)
    // Jump hosts keep their address; the key flag applies to every hop, as when planning.
    expect(target.recorded?.jumpHosts?.[0]).toMatchObject({
      address: '203.0.113.9',
      privateKeyFile: resolve('keys/other_ed25519'),
    })
    expect(overrides).toEqual([
      'web1: --become runs commands as root, unlike the plan',
      "web1: --user ops replaces the plan's deploy",
      `web1: --private-key ${resolve('keys/other_ed25519')} replaces the plan's /keys/plan_ed25519`,
    ])
  })

  it('an inventory given to apply overrides the recorded address of the hosts it has', async () => {
    const inventory = join(directory, 'moved.ini')
    await writeFile(inventory, 'web2 ansible_host=10.0.0.99 ansible_port=2202\n')
    const {targets, overrides} = await planTargets(fleet, flags({inventory}))
    expect(targets.find((target) => target.name === 'web2')?.recorded?.ssh).toMatchObject({
      address: '10.0.0.99',
      hostKey: HOST_KEY,
    })
    expect(targets.find((target) => target.name === 'web1')?.recorded?.ssh?.address).toBe('10.0.0.5')
    expect(overrides).toEqual(["web2: -i address 10.0.0.99 replaces the plan's 10.0.0.5"])
  })

  it('a plan without connection records is resolved through the inventory, as before', async () => {
    const old = planDocument([host('web9', 'changes')])
    const inventory = join(directory, 'old.ini')
    await writeFile(inventory, 'web9 ansible_host=192.0.2.9 ansible_user=root\n')
    const {targets} = await planTargets(old, flags({inventory}))
    expect(targets).toEqual([expect.objectContaining({name: 'web9', address: '192.0.2.9', user: 'root'})])
    expect(targets[0]?.recorded).toBeUndefined()
  })
})
