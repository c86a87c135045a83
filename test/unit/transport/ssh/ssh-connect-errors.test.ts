import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it, vi} from 'vitest'
import {connectSsh} from '../../../../src/transport/ssh/ssh-transport.js'
import {closedPort, generateKeyPair, startHttpListener, startSilentListener} from './support/fake-sshd.js'
import {fakeHostSession, fpmfixFailure, writeKeyFile, startLabHost} from './support/fixtures.js'

const clientKey = generateKeyPair()
const session = fakeHostSession('fpmfix-ssh-errors-', clientKey, {trustHostKey: true})
const {connect} = session

describe('authentication', () => {
  it('fails with SSH_AUTH_FAILED naming user@host:port and the methods tried', async () => {
    const otherKey = writeKeyFile(session.scratch.dir, 'id_other', generateKeyPair().private)
    const error = await fpmfixFailure(connect({privateKeyFile: otherKey}))
    expect(error.code).toBe('SSH_AUTH_FAILED')
    expect(error.host).toBe('web1')
    expect(error.message).toContain(`deploy@127.0.0.1:${session.lab.server.port}`)
    expect(error.message).toContain(`publickey (${otherKey})`)
    expect(session.lab.server.events.auth.map((attempt) => attempt.method)).toEqual(['publickey'])
  })

  it('says so when there was no method to try at all', async () => {
    const error = await fpmfixFailure(connect({privateKeyFile: undefined}))
    expect(error.code).toBe('SSH_AUTH_FAILED')
    expect(error.message).toMatch(/methods tried: none available/)
  })

  it('tries ssh config identity files after the explicit key and skips ones that cannot be used', async () => {
    const wrong = writeKeyFile(session.scratch.dir, 'id_wrong', generateKeyPair().private)
    const encrypted = writeKeyFile(session.scratch.dir, 'id_encrypted', generateKeyPair('ed25519', 'pw').private)
    const right = writeKeyFile(session.scratch.dir, 'id_right', clientKey.private)
    const transport = await connect({privateKeyFile: wrong, identityFiles: [encrypted, right]})
    expect((await transport.exec('true')).code).toBe(0)
    expect(
      session.lab.server.events.auth.filter((attempt) => attempt.method === 'publickey').length,
    ).toBeGreaterThanOrEqual(2)
  })
})

describe('private keys', () => {
  it('an encrypted key without passphrase fails with SSH_KEY_PASSPHRASE before connecting', async () => {
    const encrypted = writeKeyFile(
      session.scratch.dir,
      'id_encrypted',
      generateKeyPair('ed25519', 'correct horse').private,
    )
    const error = await fpmfixFailure(connect({privateKeyFile: encrypted}))
    expect(error.code).toBe('SSH_KEY_PASSPHRASE')
    expect(error.message).toContain(encrypted)
    expect(session.lab.server.events.connections).toBe(0)
  })

  it('an encrypted key works with the passphrase from promptPassphrase', async () => {
    const pair = generateKeyPair('ed25519', 'correct horse')
    const encrypted = writeKeyFile(session.scratch.dir, 'id_encrypted', pair.private)
    const server = await startLabHost(pair.public)
    try {
      const prompt = vi.fn(async () => 'correct horse')
      writeFileSync(join(session.scratch.dir, 'kh2'), `${server.knownHostsLine}\n`)
      const transport = await connectSsh({
        host: '127.0.0.1',
        port: server.server.port,
        user: 'deploy',
        privateKeyFile: encrypted,
        knownHostsFile: join(session.scratch.dir, 'kh2'),
        promptPassphrase: prompt,
      })
      session.track(transport)
      expect((await transport.exec('true')).code).toBe(0)
      expect(prompt).toHaveBeenCalledWith(encrypted)
    } finally {
      await server.server.close()
    }
  })

  it('a wrong passphrase fails clearly, after asking a limited number of times', async () => {
    const encrypted = writeKeyFile(
      session.scratch.dir,
      'id_encrypted',
      generateKeyPair('ed25519', 'correct horse').private,
    )
    const prompt = vi.fn(async () => 'battery staple')
    const error = await fpmfixFailure(connect({privateKeyFile: encrypted, promptPassphrase: prompt}))
    expect(error.code).toBe('SSH_KEY_PASSPHRASE')
    expect(error.message).toMatch(/wrong passphrase/)
    expect(prompt).toHaveBeenCalledTimes(3)
  })

  it('a passphrase given in options that is wrong fails as a wrong passphrase', async () => {
    const encrypted = writeKeyFile(
      session.scratch.dir,
      'id_encrypted',
      generateKeyPair('ed25519', 'correct horse').private,
    )
    const error = await fpmfixFailure(connect({privateKeyFile: encrypted, passphrase: 'nope'}))
    expect(error.code).toBe('SSH_KEY_PASSPHRASE')
    expect(error.message).toMatch(/wrong passphrase/)
  })

  it('a missing or non-key file fails with SSH_KEY_UNREADABLE', async () => {
    const missing = join(session.scratch.dir, 'no-such-key')
    expect((await fpmfixFailure(connect({privateKeyFile: missing}))).code).toBe('SSH_KEY_UNREADABLE')
    const publicOnly = writeKeyFile(session.scratch.dir, 'id.pub', clientKey.public)
    const error = await fpmfixFailure(connect({privateKeyFile: publicOnly}))
    expect(error.code).toBe('SSH_KEY_UNREADABLE')
    expect(error.message).toContain('public key')
    const garbage = writeKeyFile(session.scratch.dir, 'notes.txt', 'not a key\n')
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
