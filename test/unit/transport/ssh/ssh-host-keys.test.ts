import {spawnSync} from 'node:child_process'
import {readFileSync, statSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterEach, beforeEach, describe, expect, it, vi} from 'vitest'
import {connectSsh, type SshConnectOptions} from '../../../../src/transport/ssh/ssh-transport.js'
import type {Transport} from '../../../../src/transport/transport.js'
import {generateKeyPair} from './support/fake-sshd.js'
import {
  fpmfixFailure,
  hasSshKeygen,
  opensshFingerprint,
  scratchDir,
  startLabHost,
  writeKeyFile,
  type LabHost,
} from './support/fixtures.js'

const clientKey = generateKeyPair()
let scratch: ReturnType<typeof scratchDir>
let lab: LabHost
const opened: Transport[] = []

function options(extra: Partial<SshConnectOptions> = {}): SshConnectOptions {
  return {
    host: '127.0.0.1',
    port: lab.server.port,
    user: 'deploy',
    hostAlias: 'web1',
    privateKeyFile: writeKeyFile(scratch.dir, 'id_ed25519', clientKey.private),
    knownHostsFile: join(scratch.dir, 'known_hosts'),
    ...extra,
  }
}

async function connect(extra: Partial<SshConnectOptions> = {}): Promise<Transport> {
  const transport = await connectSsh(options(extra))
  opened.push(transport)
  return transport
}

beforeEach(async () => {
  vi.stubEnv('SSH_AUTH_SOCK', '')
  scratch = scratchDir('fpmfix-ssh-hostkeys-')
  lab = await startLabHost(clientKey.public)
})

afterEach(async () => {
  await Promise.all(opened.splice(0).map((transport) => transport.close()))
  await lab.server.close()
  scratch.cleanup()
  vi.unstubAllEnvs()
})

describe('unknown host keys', () => {
  it.skipIf(!hasSshKeygen)('are refused before authentication with the SHA256 fingerprint and how to accept', async () => {
    const error = await fpmfixFailure(connect())
    expect(error.code).toBe('SSH_HOSTKEY_UNKNOWN')
    expect(error.host).toBe('web1')
    expect(error.message).toContain(opensshFingerprint(lab.server.hostPublicKeys[0] ?? '', scratch.dir))
    expect(error.message).toContain('ssh-ed25519')
    expect(error.hint).toContain('--accept-new-host-keys')
    expect(error.hint).toContain(`ssh-keyscan -p ${lab.server.port} 127.0.0.1 >>`)
    expect(lab.server.events.connections).toBe(1)
    expect(lab.server.events.auth).toEqual([])
    expect(lab.server.events.exec).toEqual([])
  })

  it('with acceptNewHostKeys are recorded (creating the file privately) and trusted on the next connect', async () => {
    const knownHostsFile = join(scratch.dir, 'new-dir', 'known_hosts')
    const first = await connect({acceptNewHostKeys: true, knownHostsFile})
    expect((await first.exec('true')).code).toBe(0)

    expect(readFileSync(knownHostsFile, 'utf8')).toBe(`${lab.knownHostsLine}\n`)
    expect(statSync(knownHostsFile).mode & 0o777).toBe(0o600)
    expect(statSync(join(scratch.dir, 'new-dir')).mode & 0o777).toBe(0o700)
    if (hasSshKeygen) {
      const found = spawnSync('ssh-keygen', ['-F', `[127.0.0.1]:${lab.server.port}`, '-f', knownHostsFile], {encoding: 'utf8'})
      expect(found.stdout).toContain('found: line 1')
    }

    const second = await connect({knownHostsFile})
    expect((await second.exec('true')).code).toBe(0)
  })

  it('are appended on a new line to a file that lacks a trailing newline', async () => {
    const knownHostsFile = join(scratch.dir, 'known_hosts')
    writeFileSync(knownHostsFile, '# other hosts')
    await connect({acceptNewHostKeys: true, knownHostsFile})
    expect(readFileSync(knownHostsFile, 'utf8')).toBe(`# other hosts\n${lab.knownHostsLine}\n`)
  })
})

describe('known host keys', () => {
  it('connect when the recorded key matches', async () => {
    writeFileSync(join(scratch.dir, 'known_hosts'), `${lab.knownHostsLine}\n`)
    expect((await (await connect()).exec('true')).stdout).toBe('ran: true\n')
  })

  it('a plain host entry does not vouch for a non-22 port', async () => {
    writeFileSync(join(scratch.dir, 'known_hosts'), `127.0.0.1 ${lab.server.hostPublicKeys[0]}\n`)
    expect((await fpmfixFailure(connect())).code).toBe('SSH_HOSTKEY_UNKNOWN')
  })

  it('are negotiated by the recorded key type when the server has several', async () => {
    const rsa = generateKeyPair('rsa')
    const ed25519 = generateKeyPair()
    const multiKey = await startLabHost(clientKey.public, {hostKeys: [ed25519.private, rsa.private]})
    try {
      const rsaLine = `[127.0.0.1]:${multiKey.server.port} ${multiKey.server.hostPublicKeys[1]}`
      writeFileSync(join(scratch.dir, 'known_hosts'), `${rsaLine}\n`)
      const transport = await connect({port: multiKey.server.port})
      expect((await transport.exec('true')).code).toBe(0)
    } finally {
      await multiKey.server.close()
    }
  })
})

describe('changed host keys', () => {
  it.skipIf(!hasSshKeygen)('are refused loudly with both fingerprints and the known_hosts line, even with acceptNewHostKeys', async () => {
    const oldKey = generateKeyPair()
    const knownHostsFile = join(scratch.dir, 'known_hosts')
    const content = `# fleet\n[127.0.0.1]:${lab.server.port} ${oldKey.public}\n`
    writeFileSync(knownHostsFile, content)

    const error = await fpmfixFailure(connect({acceptNewHostKeys: true}))
    expect(error.code).toBe('SSH_HOSTKEY_CHANGED')
    expect(error.message).toContain('REMOTE HOST IDENTIFICATION HAS CHANGED')
    expect(error.message).toContain(opensshFingerprint(lab.server.hostPublicKeys[0] ?? '', scratch.dir))
    expect(error.message).toContain(opensshFingerprint(oldKey.public, scratch.dir))
    expect(error.message).toContain(`${knownHostsFile}:2`)
    expect(error.hint).toContain('ssh-keygen -R')
    expect(lab.server.events.auth).toEqual([])
    expect(readFileSync(knownHostsFile, 'utf8')).toBe(content)
  })

  it('are refused when the host has a recorded key of another type only', async () => {
    const rsaOnly = generateKeyPair('rsa')
    writeFileSync(join(scratch.dir, 'known_hosts'), `[127.0.0.1]:${lab.server.port} ${rsaOnly.public}\n`)
    expect((await fpmfixFailure(connect())).code).toBe('SSH_HOSTKEY_CHANGED')
  })
})

describe('revoked host keys', () => {
  it('are refused even when also recorded as the host key', async () => {
    writeFileSync(
      join(scratch.dir, 'known_hosts'),
      `${lab.knownHostsLine}\n@revoked * ${lab.server.hostPublicKeys[0]}\n`,
    )
    const error = await fpmfixFailure(connect({acceptNewHostKeys: true}))
    expect(error.code).toBe('SSH_HOSTKEY_REVOKED')
    expect(error.message).toContain(`known_hosts:2`)
    expect(lab.server.events.auth).toEqual([])
  })
})
