import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterEach, beforeEach, describe, expect, it, vi} from 'vitest'
import {connectTransport} from '../../../../src/transport/connect.js'
import {connectSsh, type SshConnectOptions} from '../../../../src/transport/ssh/ssh-transport.js'
import type {Transport} from '../../../../src/transport/transport.js'
import {closedPort, generateKeyPair} from './support/fake-sshd.js'
import {fpmfixFailure, scratchDir, startLabHost, writeKeyFile, type LabHost} from './support/fixtures.js'

const clientKey = generateKeyPair()
let scratch: ReturnType<typeof scratchDir>
let bastion: LabHost
let target: LabHost
let knownHostsFile: string
const opened: Transport[] = []

function jumpOptions(extra: Partial<SshConnectOptions> = {}, hop: Partial<SshConnectOptions> = {}): SshConnectOptions {
  return {
    host: '127.0.0.1',
    port: target.server.port,
    user: 'deploy',
    hostAlias: 'web1',
    privateKeyFile: writeKeyFile(scratch.dir, 'id_ed25519', clientKey.private),
    knownHostsFile,
    proxyJump: [{host: '127.0.0.1', port: bastion.server.port, user: 'jumper', hostAlias: 'bastion', ...hop}],
    ...extra,
  }
}

async function connect(options: SshConnectOptions): Promise<Transport> {
  const transport = await connectSsh(options)
  opened.push(transport)
  return transport
}

beforeEach(async () => {
  vi.stubEnv('SSH_AUTH_SOCK', '')
  scratch = scratchDir('fpmfix-ssh-jump-')
  knownHostsFile = join(scratch.dir, 'known_hosts')
  bastion = await startLabHost(clientKey.public, {allowForwarding: true})
  target = await startLabHost(clientKey.public, {respond: (command) => ({stdout: `web1 ran ${command}\n`, exit: 0})})
})

afterEach(async () => {
  await Promise.all(opened.splice(0).map((transport) => transport.close()))
  await Promise.all([bastion.server.close(), target.server.close()])
  scratch.cleanup()
  vi.unstubAllEnvs()
})

describe('jump hosts', () => {
  it('run commands on the target through a forwarded channel on the jump host', async () => {
    writeFileSync(knownHostsFile, `${bastion.knownHostsLine}\n${target.knownHostsLine}\n`)
    const transport = await connect(jumpOptions())
    expect((await transport.exec('uname -a')).stdout).toBe('web1 ran uname -a\n')

    expect(bastion.server.events.forwards).toEqual([`127.0.0.1:${target.server.port}`])
    expect(bastion.server.events.exec).toEqual([])
    expect(bastion.server.events.auth.at(-1)?.user).toBe('jumper')
    expect(target.server.events.auth.at(-1)?.user).toBe('deploy')
  })

  it('record each hop as dialled, with the key it presented, and reach the target again from that record alone', async () => {
    writeFileSync(knownHostsFile, `${bastion.knownHostsLine}\n${target.knownHostsLine}\n`)
    const record = (await connect(jumpOptions())).connection!
    const keyFile = join(scratch.dir, 'id_ed25519')
    expect(record.ssh).toMatchObject({name: 'web1', port: target.server.port, user: 'deploy', privateKeyFile: keyFile})
    expect(record.jumpHosts).toMatchObject([
      {name: 'bastion', address: '127.0.0.1', port: bastion.server.port, user: 'jumper', privateKeyFile: keyFile},
    ])
    expect(record.jumpHosts![0]!.hostKey?.sha256).toMatch(/^SHA256:/)
    expect(record.jumpHosts![0]!.hostKey).not.toEqual(record.ssh!.hostKey)

    const target2 = {name: 'web1', connection: 'ssh' as const, address: '127.0.0.1', vars: {}, recorded: record}
    const again = await connectTransport(target2, {})
    opened.push(again)
    expect((await again.exec('id')).stdout).toBe('web1 ran id\n')
    expect(bastion.server.events.auth.at(-1)?.user).toBe('jumper')
  })

  it('refuse a jump host whose key differs from the recorded one before logging in to it', async () => {
    writeFileSync(knownHostsFile, `${bastion.knownHostsLine}\n${target.knownHostsLine}\n`)
    const record = (await connect(jumpOptions())).connection!
    const jump = record.jumpHosts![0]!
    const wrong = {...record, jumpHosts: [{...jump, hostKey: {...jump.hostKey!, sha256: record.ssh!.hostKey!.sha256}}]}
    const logins = bastion.server.events.auth.length
    const error = await fpmfixFailure(
      connectTransport({name: 'web1', connection: 'ssh', address: '127.0.0.1', vars: {}, recorded: wrong}, {}),
    )
    expect(error.code).toBe('PLAN_HOSTKEY_MISMATCH')
    expect(error.host).toBe('bastion')
    expect(bastion.server.events.auth).toHaveLength(logins)
  })

  it('close() closes the target and every hop', async () => {
    writeFileSync(knownHostsFile, `${bastion.knownHostsLine}\n${target.knownHostsLine}\n`)
    const transport = await connect(jumpOptions())
    await transport.exec('true')
    await transport.close()
    await vi.waitFor(() => expect([bastion.server.openConnections(), target.server.openConnections()]).toEqual([0, 0]))
  })

  it('chain through two jump hosts, outermost first', async () => {
    const inner = await startLabHost(clientKey.public, {allowForwarding: true})
    try {
      writeFileSync(
        knownHostsFile,
        [bastion.knownHostsLine, inner.knownHostsLine, target.knownHostsLine, ''].join('\n'),
      )
      const options = jumpOptions()
      options.proxyJump?.push({host: '127.0.0.1', port: inner.server.port, hostAlias: 'inner'})
      const transport = await connect(options)
      expect((await transport.exec('id')).stdout).toBe('web1 ran id\n')
      expect(bastion.server.events.forwards).toEqual([`127.0.0.1:${inner.server.port}`])
      expect(inner.server.events.forwards).toEqual([`127.0.0.1:${target.server.port}`])
    } finally {
      await inner.server.close()
    }
  })

  it("verify the jump host's key on its own: an unknown hop key stops before the target is reached", async () => {
    writeFileSync(knownHostsFile, `${target.knownHostsLine}\n`)
    const error = await fpmfixFailure(connect(jumpOptions()))
    expect(error.code).toBe('SSH_HOSTKEY_UNKNOWN')
    expect(error.host).toBe('bastion')
    expect(bastion.server.events.auth).toEqual([])
    expect(target.server.events.connections).toBe(0)
  })

  it("verify the target's key behind the jump host before authenticating to it", async () => {
    writeFileSync(knownHostsFile, `${bastion.knownHostsLine}\n`)
    const error = await fpmfixFailure(connect(jumpOptions()))
    expect(error.code).toBe('SSH_HOSTKEY_UNKNOWN')
    expect(error.host).toBe('web1')
    expect(target.server.events.auth).toEqual([])
  })

  it('record both keys with acceptNewHostKeys', async () => {
    const transport = await connect(jumpOptions({acceptNewHostKeys: true}))
    await transport.exec('true')
    expect(readFileSync(knownHostsFile, 'utf8')).toBe(`${bastion.knownHostsLine}\n${target.knownHostsLine}\n`)
  })

  it('report a target the jump host cannot reach as SSH_CONNECT_REFUSED', async () => {
    const port = await closedPort()
    writeFileSync(knownHostsFile, `${bastion.knownHostsLine}\n`)
    const error = await fpmfixFailure(connect(jumpOptions({port})))
    expect(error.code).toBe('SSH_CONNECT_REFUSED')
    expect(error.host).toBe('web1')
    await vi.waitFor(() => expect(bastion.server.openConnections()).toBe(0))
  })

  it('report a jump host that forbids forwarding as SSH_PROTOCOL with a hint', async () => {
    const strict = await startLabHost(clientKey.public)
    try {
      writeFileSync(knownHostsFile, `${strict.knownHostsLine}\n${target.knownHostsLine}\n`)
      const error = await fpmfixFailure(connect(jumpOptions({}, {port: strict.server.port})))
      expect(error.code).toBe('SSH_PROTOCOL')
      expect(error.hint).toMatch(/AllowTcpForwarding/)
    } finally {
      await strict.server.close()
    }
  })
})
