import {spawnSync} from 'node:child_process'
import {existsSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {afterEach, beforeEach, describe, expect, it, vi} from 'vitest'
import type {HostTarget} from '../../../../src/model/target.js'
import {connectTransport, sshOptionsForTarget} from '../../../../src/transport/connect.js'
import type {Transport} from '../../../../src/transport/transport.js'
import {generateKeyPair} from './support/fake-sshd.js'
import {scratchDir, startLabHost, writeKeyFile, type LabHost} from './support/fixtures.js'

const hasSsh = spawnSync('ssh', ['-V']).error === undefined
const localTransportExists = existsSync(fileURLToPath(new URL('../../../../src/transport/local.ts', import.meta.url)))

function target(fields: Partial<HostTarget>): HostTarget {
  return {name: 'web1', connection: 'ssh', address: 'web1', vars: {}, ...fields}
}

describe('sshOptionsForTarget', () => {
  const fromConfig = {
    host: '10.0.0.5',
    user: 'config-user',
    port: 2200,
    knownHostsFile: '/cfg/known_hosts',
    connectTimeoutMs: 7000,
  }

  it('lets inventory values win over the command line, and both over ssh config', () => {
    const options = sshOptionsForTarget(
      target({user: 'inventory-user', privateKeyFile: '/inv/key', become: false}),
      {user: 'cli-user', privateKeyFile: '/cli/key', become: true, knownHostsFile: '/cli/known_hosts'},
      fromConfig,
    )
    expect(options).toMatchObject({
      host: '10.0.0.5',
      hostAlias: 'web1',
      user: 'inventory-user',
      privateKeyFile: '/inv/key',
      become: false,
      port: 2200,
      knownHostsFile: '/cli/known_hosts',
      connectTimeoutMs: 7000,
    })
  })

  it('uses the command line where the inventory is silent', () => {
    const options = sshOptionsForTarget(
      target({}),
      {user: 'cli-user', become: true, connectTimeoutMs: 3000},
      fromConfig,
    )
    expect(options).toMatchObject({user: 'cli-user', become: true, connectTimeoutMs: 3000})
  })

  it('takes HostName from ssh config only when the target has no address of its own', () => {
    expect(sshOptionsForTarget(target({address: '192.0.2.7', port: 22}), {}, fromConfig)).toMatchObject({
      host: '192.0.2.7',
      port: 22,
    })
  })
})

describe.skipIf(!hasSsh)('connectTransport over ssh', () => {
  const clientKey = generateKeyPair()
  let scratch: ReturnType<typeof scratchDir>
  let lab: LabHost
  let transport: Transport | undefined

  beforeEach(async () => {
    vi.stubEnv('SSH_AUTH_SOCK', '')
    scratch = scratchDir('fpmfix-connect-')
    lab = await startLabHost(clientKey.public)
  })

  afterEach(async () => {
    await transport?.close()
    transport = undefined
    await lab.server.close()
    scratch.cleanup()
    vi.unstubAllEnvs()
  })

  it('reaches an ssh config alias with the config file, key and known_hosts it names', async () => {
    const key = writeKeyFile(scratch.dir, 'id_web1', clientKey.private)
    const knownHosts = join(scratch.dir, 'known_hosts')
    writeFileSync(knownHosts, `${lab.knownHostsLine}\n`)
    const sshConfigFile = join(scratch.dir, 'config')
    writeFileSync(
      sshConfigFile,
      [
        'Host web1',
        '  HostName 127.0.0.1',
        `  Port ${lab.server.port}`,
        '  User deploy',
        `  IdentityFile ${key}`,
        `  UserKnownHostsFile ${knownHosts}`,
        '',
      ].join('\n'),
    )
    transport = await connectTransport(target({}), {sshConfigFile})
    const result = await transport.exec('hostname')
    expect(result.stdout).toBe('ran: hostname\n')
    expect(lab.server.events.auth.at(-1)?.user).toBe('deploy')
  })
})

describe.skipIf(!localTransportExists)('connectTransport locally', () => {
  it('opens the local transport without SSH', async () => {
    const local = await connectTransport(target({connection: 'local', name: 'localhost', address: 'localhost'}), {})
    expect(local.kind).toBe('local')
    await local.close()
  })
})
