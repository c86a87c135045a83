import {readFileSync, writeFileSync} from 'node:fs'
import {hostname} from 'node:os'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import type {HostConnection, HostTarget} from '../../../../src/model/target.js'
import {connectTransport} from '../../../../src/transport/connect.js'
import {generateKeyPair} from './support/fake-sshd.js'
import {fakeHostSession, fpmfixFailure, hasSshKeygen, opensshFingerprint, startLabHost} from './support/fixtures.js'

const clientKey = generateKeyPair()
const session = fakeHostSession('fpmfix-ssh-recorded-', clientKey, {trustHostKey: true})

/** A target that must be reached as `record` says, as apply PLANFILE builds it. */
function recordedTarget(record: HostConnection): HostTarget {
  return {
    name: 'web1',
    connection: record.connection,
    address: record.ssh?.address ?? 'localhost',
    vars: {},
    recorded: record,
  }
}

describe('the connection a transport records for a plan', () => {
  it.skipIf(!hasSshKeygen)(
    'names address, port, user, key and known_hosts files and the host key fingerprint, never key material',
    async () => {
      const transport = await session.connect({become: true})
      const options = session.options()
      expect(transport.connection).toEqual({
        connection: 'ssh',
        become: true,
        ssh: {
          name: 'web1',
          address: '127.0.0.1',
          port: session.lab.server.port,
          user: 'deploy',
          privateKeyFile: options.privateKeyFile,
          knownHostsFile: options.knownHostsFile,
          hostKey: {
            type: 'ssh-ed25519',
            sha256: opensshFingerprint(session.lab.server.hostPublicKeys[0]!, session.scratch.dir),
          },
        },
      })
      const text = JSON.stringify(transport.connection)
      expect(text).not.toContain(clientKey.private.split('\n')[1]!)
      expect(text).not.toContain(session.lab.server.hostPublicKeys[0]!.split(' ')[1]!)
    },
  )

  it('records this machine for a local transport', async () => {
    const transport = await connectTransport(
      {name: 'localhost', connection: 'local', address: 'localhost', vars: {}},
      {},
    )
    expect(transport.connection).toEqual({connection: 'local', become: false, machine: hostname()})
    await transport.close()
  })
})

describe('reaching a host as a plan recorded it', () => {
  it('reconnects from the record alone: no inventory, no ssh config, same host key', async () => {
    const first = await session.connect()
    const again = session.track(await connectTransport(recordedTarget(first.connection!), {}))
    expect((await again.exec('true')).stdout).toBe('ran: true\n')
    expect(again.connection).toEqual(first.connection)
  })

  it.skipIf(!hasSshKeygen)(
    'refuses another host key before authentication, naming both fingerprints, although known_hosts trusts it',
    async () => {
      const record = (await session.connect()).connection!
      const impostor = await startLabHost(clientKey.public)
      try {
        // known_hosts has been updated to trust the new key: the plan still wins.
        writeFileSync(record.ssh!.knownHostsFile!, `${impostor.knownHostsLine}\n`)
        const moved: HostConnection = {...record, ssh: {...record.ssh!, port: impostor.server.port}}

        const error = await fpmfixFailure(connectTransport(recordedTarget(moved), {}))

        expect(error.code).toBe('PLAN_HOSTKEY_MISMATCH')
        expect(error.exit).toBe(10)
        expect(error.host).toBe('web1')
        expect(error.message).toContain(record.ssh!.hostKey!.sha256)
        expect(error.message).toContain(opensshFingerprint(impostor.server.hostPublicKeys[0]!, session.scratch.dir))
        expect(impostor.server.events.connections).toBe(1)
        expect(impostor.server.events.auth).toEqual([])
        expect(impostor.server.events.exec).toEqual([])
      } finally {
        await impostor.server.close()
      }
    },
  )

  it('trusts the recorded key where known_hosts does not know it (another machine), without writing known_hosts', async () => {
    const record = (await session.connect()).connection!
    const elsewhere = join(session.scratch.dir, 'other_known_hosts')
    writeFileSync(elsewhere, '')
    const target = recordedTarget({...record, ssh: {...record.ssh!, knownHostsFile: elsewhere}})
    const transport = session.track(await connectTransport(target, {}))
    expect((await transport.exec('true')).code).toBe(0)
    expect(readFileSync(elsewhere, 'utf8')).toBe('')
  })

  it('still refuses a recorded key that known_hosts marks @revoked', async () => {
    const record = (await session.connect()).connection!
    writeFileSync(record.ssh!.knownHostsFile!, `@revoked * ${session.lab.server.hostPublicKeys[0]}\n`)
    const logins = session.lab.server.events.auth.length
    const error = await fpmfixFailure(connectTransport(recordedTarget(record), {}))
    expect(error.code).toBe('SSH_HOSTKEY_REVOKED')
    expect(session.lab.server.events.auth).toHaveLength(logins)
  })

  it('refuses a local plan on another machine before running anything', async () => {
    const target = recordedTarget({connection: 'local', become: false, machine: `${hostname()}-elsewhere`})
    const error = await fpmfixFailure(connectTransport(target, {}))
    expect(error.code).toBe('PLAN_HOST_MISMATCH')
    expect(error.exit).toBe(10)
    expect(error.message).toContain(`${hostname()}-elsewhere`)
  })
})
