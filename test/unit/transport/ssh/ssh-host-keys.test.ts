import {spawnSync} from 'node:child_process'
import {readFileSync, statSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {generateKeyPair} from './support/fake-sshd.js'
import {fakeHostSession, fpmfixFailure, hasSshKeygen, opensshFingerprint, startLabHost} from './support/fixtures.js'

const clientKey = generateKeyPair()
const session = fakeHostSession('fpmfix-ssh-hostkeys-', clientKey, {trustHostKey: false})
const {connect} = session

describe('unknown host keys', () => {
  it.skipIf(!hasSshKeygen)(
    'are refused before authentication with the SHA256 fingerprint and how to accept',
    async () => {
      const error = await fpmfixFailure(connect())
      expect(error.code).toBe('SSH_HOSTKEY_UNKNOWN')
      expect(error.host).toBe('web1')
      expect(error.message).toContain(
        opensshFingerprint(session.lab.server.hostPublicKeys[0] ?? '', session.scratch.dir),
      )
      expect(error.message).toContain('ssh-ed25519')
      expect(error.hint).toContain('--accept-new-host-keys')
      expect(error.hint).toContain(`ssh-keyscan -p ${session.lab.server.port} 127.0.0.1 >>`)
      expect(session.lab.server.events.connections).toBe(1)
      expect(session.lab.server.events.auth).toEqual([])
      expect(session.lab.server.events.exec).toEqual([])
    },
  )

  it('with acceptNewHostKeys are recorded (creating the file privately) and trusted on the next connect', async () => {
    const knownHostsFile = join(session.scratch.dir, 'new-dir', 'known_hosts')
    const first = await connect({acceptNewHostKeys: true, knownHostsFile})
    expect((await first.exec('true')).code).toBe(0)

    expect(readFileSync(knownHostsFile, 'utf8')).toBe(`${session.lab.knownHostsLine}\n`)
    expect(statSync(knownHostsFile).mode & 0o777).toBe(0o600)
    expect(statSync(join(session.scratch.dir, 'new-dir')).mode & 0o777).toBe(0o700)
    if (hasSshKeygen) {
      const found = spawnSync('ssh-keygen', ['-F', `[127.0.0.1]:${session.lab.server.port}`, '-f', knownHostsFile], {
        encoding: 'utf8',
      })
      expect(found.stdout).toContain('found: line 1')
    }

    const second = await connect({knownHostsFile})
    expect((await second.exec('true')).code).toBe(0)
  })

  it('are appended on a new line to a file that lacks a trailing newline', async () => {
    const knownHostsFile = join(session.scratch.dir, 'known_hosts')
    writeFileSync(knownHostsFile, '# other hosts')
    await connect({acceptNewHostKeys: true, knownHostsFile})
    expect(readFileSync(knownHostsFile, 'utf8')).toBe(`# other hosts\n${session.lab.knownHostsLine}\n`)
  })
})

describe('known host keys', () => {
  it('connect when the recorded key matches', async () => {
    writeFileSync(join(session.scratch.dir, 'known_hosts'), `${session.lab.knownHostsLine}\n`)
    expect((await (await connect()).exec('true')).stdout).toBe('ran: true\n')
  })

  it('a plain host entry does not vouch for a non-22 port', async () => {
    writeFileSync(join(session.scratch.dir, 'known_hosts'), `127.0.0.1 ${session.lab.server.hostPublicKeys[0]}\n`)
    expect((await fpmfixFailure(connect())).code).toBe('SSH_HOSTKEY_UNKNOWN')
  })

  it('are negotiated by the recorded key type when the server has several', async () => {
    const rsa = generateKeyPair('rsa')
    const ed25519 = generateKeyPair()
    const multiKey = await startLabHost(clientKey.public, {hostKeys: [ed25519.private, rsa.private]})
    try {
      const rsaLine = `[127.0.0.1]:${multiKey.server.port} ${multiKey.server.hostPublicKeys[1]}`
      writeFileSync(join(session.scratch.dir, 'known_hosts'), `${rsaLine}\n`)
      const transport = await connect({port: multiKey.server.port})
      expect((await transport.exec('true')).code).toBe(0)
    } finally {
      await multiKey.server.close()
    }
  })
})

describe('changed host keys', () => {
  it.skipIf(!hasSshKeygen)(
    'are refused loudly with both fingerprints and the known_hosts line, even with acceptNewHostKeys',
    async () => {
      const oldKey = generateKeyPair()
      const knownHostsFile = join(session.scratch.dir, 'known_hosts')
      const content = `# fleet\n[127.0.0.1]:${session.lab.server.port} ${oldKey.public}\n`
      writeFileSync(knownHostsFile, content)

      const error = await fpmfixFailure(connect({acceptNewHostKeys: true}))
      expect(error.code).toBe('SSH_HOSTKEY_CHANGED')
      expect(error.message).toContain('REMOTE HOST IDENTIFICATION HAS CHANGED')
      expect(error.message).toContain(
        opensshFingerprint(session.lab.server.hostPublicKeys[0] ?? '', session.scratch.dir),
      )
      expect(error.message).toContain(opensshFingerprint(oldKey.public, session.scratch.dir))
      expect(error.message).toContain(`${knownHostsFile}:2`)
      expect(error.hint).toContain('ssh-keygen -R')
      expect(session.lab.server.events.auth).toEqual([])
      expect(readFileSync(knownHostsFile, 'utf8')).toBe(content)
    },
  )

  it('are refused when the host has a recorded key of another type only', async () => {
    const rsaOnly = generateKeyPair('rsa')
    writeFileSync(
      join(session.scratch.dir, 'known_hosts'),
      `[127.0.0.1]:${session.lab.server.port} ${rsaOnly.public}\n`,
    )
    expect((await fpmfixFailure(connect())).code).toBe('SSH_HOSTKEY_CHANGED')
  })
})

describe('revoked host keys', () => {
  it('are refused even when also recorded as the host key', async () => {
    writeFileSync(
      join(session.scratch.dir, 'known_hosts'),
      `${session.lab.knownHostsLine}\n@revoked * ${session.lab.server.hostPublicKeys[0]}\n`,
    )
    const error = await fpmfixFailure(connect({acceptNewHostKeys: true}))
    expect(error.code).toBe('SSH_HOSTKEY_REVOKED')
    expect(error.message).toContain(`known_hosts:2`)
    expect(session.lab.server.events.auth).toEqual([])
  })
})
