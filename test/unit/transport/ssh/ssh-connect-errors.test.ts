import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterEach, beforeEach, describe, expect, it, vi} from 'vitest'
import {connectSsh, type SshConnectOptions} from '../../../../src/transport/ssh/ssh-transport.js'
import type {Transport} from '../../../../src/transport/transport.js'
import {closedPort, generateKeyPair, startHttpListener, startSilentListener} from './support/fake-sshd.js'
import {fpmfixFailure, scratchDir, startLabHost, writeKeyFile, type LabHost} from './support/fixtures.js'

const clientKey = generateKeyPair()
let scratch: ReturnType<typeof scratchDir>
let lab: LabHost
const opened: Transport[] = []

function options(extra: Partial<SshConnectOptions> = {}): SshConnectOptions {
  const knownHostsFile = join(scratch.dir, 'known_hosts')
  writeFileSync(knownHostsFile, `${lab.knownHostsLine}\n`)
  return {
    host: '127.0.0.1',
    port: lab.server.port,
    user: 'deploy',
    hostAlias: 'web1',
    privateKeyFile: writeKeyFile(scratch.dir, 'id_ed25519', clientKey.private),
    knownHostsFile,
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
  scratch = scratchDir('fpmfix-ssh-errors-')
  lab = await startLabHost(clientKey.public)
})

afterEach(async () => {
  await Promise.all(opened.splice(0).map((transport) => transport.close()))
  await lab.server.close()
  scratch.cleanup()
  vi.unstubAllEnvs()
})

describe('authentication', () => {
  it('fails with SSH_AUTH_FAILED naming user@host:port and the methods tried', async () => {
    const otherKey = writeKeyFile(scratch.dir, 'id_other', generateKeyPair().private)
    const error = await fpmfixFailure(connect({privateKeyFile: otherKey}))
    expect(error.code).toBe('SSH_AUTH_FAILED')
    expect(error.host).toBe('web1')
    expect(error.message).toContain(`deploy@127.0.0.1:${lab.server.port}`)
    expect(error.message).toContain(`publickey (${otherKey})`)
    expect(lab.server.events.auth.map((attempt) => attempt.method)).toEqual(['publickey'])
  })

  it('says so when there was no method to try at all', async () => {
    const error = await fpmfixFailure(connect({privateKeyFile: undefined}))
    expect(error.code).toBe('SSH_AUTH_FAILED')
    expect(error.message).toMatch(/methods tried: none available/)
  })

  it('tries ssh config identity files after the explicit key and skips ones that cannot be used', async () => {
    const wrong = writeKeyFile(scratch.dir, 'id_wrong', generateKeyPair().private)
    const encrypted = writeKeyFile(scratch.dir, 'id_encrypted', generateKeyPair('ed25519', 'pw').private)
    const right = writeKeyFile(scratch.dir, 'id_right', clientKey.private)
    const transport = await connect({privateKeyFile: wrong, identityFiles: [encrypted, right]})
    expect((await transport.exec('true')).code).toBe(0)
    expect(lab.server.events.auth.filter((attempt) => attempt.method === 'publickey').length).toBeGreaterThanOrEqual(2)
  })
})

describe('private keys', () => {
  it('an encrypted key without passphrase fails with SSH_KEY_PASSPHRASE before connecting', async () => {
    const encrypted = writeKeyFile(scratch.dir, 'id_encrypted', generateKeyPair('ed25519', 'correct horse').private)
    const error = await fpmfixFailure(connect({privateKeyFile: encrypted}))
    expect(error.code).toBe('SSH_KEY_PASSPHRASE')
    expect(error.message).toContain(encrypted)
    expect(lab.server.events.connections).toBe(0)
  })

  it('an encrypted key works with the passphrase from promptPassphrase', async () => {
    const pair = generateKeyPair('ed25519', 'correct horse')
    const encrypted = writeKeyFile(scratch.dir, 'id_encrypted', pair.private)
    const server = await startLabHost(pair.public)
    try {
      const prompt = vi.fn(async () => 'correct horse')
      writeFileSync(join(scratch.dir, 'kh2'), `${server.knownHostsLine}\n`)
      const transport = await connectSsh({
        host: '127.0.0.1',
        port: server.server.port,
        user: 'deploy',
        privateKeyFile: encrypted,
        knownHostsFile: join(scratch.dir, 'kh2'),
        promptPassphrase: prompt,
      })
      opened.push(transport)
      expect((await transport.exec('true')).code).toBe(0)
      expect(prompt).toHaveBeenCalledWith(encrypted)
    } finally {
      await server.server.close()
    }
  })

  it('a wrong passphrase fails clearly, after asking a limited number of times', async () => {
    const encrypted = writeKeyFile(scratch.dir, 'id_encrypted', generateKeyPair('ed25519', 'correct horse').private)
    const prompt = vi.fn(async () => 'battery staple')
    const error = await fpmfixFailure(connect({privateKeyFile: encrypted, promptPassphrase: prompt}))
    expect(error.code).toBe('SSH_KEY_PASSPHRASE')
    expect(error.message).toMatch(/wrong passphrase/)
    expect(prompt).toHaveBeenCalledTimes(3)
  })

  it('a passphrase given in options that is wrong fails as a wrong passphrase', async () => {
    const encrypted = writeKeyFile(scratch.dir, 'id_encrypted', generateKeyPair('ed25519', 'correct horse').private)
    const error = await fpmfixFailure(connect({privateKeyFile: encrypted, passphrase: 'nope'}))
    expect(error.code).toBe('SSH_KEY_PASSPHRASE')
    expect(error.message).toMatch(/wrong passphrase/)
  })

  it('a missing or non-key file fails with SSH_KEY_UNREADABLE', async () => {
    const missing = join(scratch.dir, 'no-such-key')
    expect((await fpmfixFailure(connect({privateKeyFile: missing}))).code).toBe('SSH_KEY_UNREADABLE')
    const publicOnly = writeKeyFile(scratch.dir, 'id.pub', clientKey.public)
    const error = await fpmfixFailure(connect({privateKeyFile: publicOnly}))
    expect(error.code).toBe('SSH_KEY_UNREADABLE')
    expect(error.message).toContain('public key')
    const garbage = writeKeyFile(scratch.dir, 'notes.txt', 'not a key\n')
    expect((await fpmfixFailure(connect({privateKeyFile: garbage}))).code).toBe('SSH_KEY_UNREADABLE')
  })
})

describe('network failures', () => {
  it('a closed port fails with SSH_CONNECT_REFUSED', async () => {
    const port = await closedPort()
    const error = await fpmfixFailure(connect({port}))
    expect(error.code).toBe('SSH_CONNECT_REFUSED')
    expect(error.host).toBe('web1')
    expect(error.message).toContain(`127.0.0.1:${port}`)
    expect(error.message).toContain('is sshd running')
  })

  it('a listener that never speaks SSH fails with SSH_CONNECT_TIMEOUT within connectTimeoutMs', async () => {
    const silent = await startSilentListener()
    try {
      const started = Date.now()
      const error = await fpmfixFailure(connect({port: silent.port, connectTimeoutMs: 300}))
      expect(error.code).toBe('SSH_CONNECT_TIMEOUT')
      expect(Date.now() - started).toBeGreaterThanOrEqual(250)
      expect(Date.now() - started).toBeLessThan(2000)
    } finally {
      await silent.close()
    }
  })

  it('a server that answers with something other than SSH fails with SSH_PROTOCOL', async () => {
    const http = await startHttpListener()
    try {
      const error = await fpmfixFailure(connect({port: http.port}))
      expect(error.code).toBe('SSH_PROTOCOL')
      expect(error.host).toBe('web1')
    } finally {
      await http.close()
    }
  })

  it('a name that does not resolve fails with SSH_DNS', async () => {
    const error = await fpmfixFailure(connect({host: 'no-such-host.invalid', connectTimeoutMs: 5000}))
    expect(error.code).toBe('SSH_DNS')
    expect(error.message).toContain('no-such-host.invalid')
  })
})
