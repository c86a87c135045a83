import {spawn, spawnSync, type ChildProcess} from 'node:child_process'
import {existsSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterEach, beforeEach, describe, expect, it, vi} from 'vitest'
import {connectSsh} from '../../../../src/transport/ssh/ssh-transport.js'
import type {Transport} from '../../../../src/transport/transport.js'
import {generateKeyPair} from './support/fake-sshd.js'
import {fpmfixFailure, scratchDir, startLabHost, writeKeyFile, type LabHost} from './support/fixtures.js'

const hasAgent = spawnSync('ssh-agent', ['-h']).error === undefined && spawnSync('ssh-add', ['-h']).error === undefined

describe.skipIf(!hasAgent)('ssh-agent authentication', () => {
  const clientKey = generateKeyPair()
  let scratch: ReturnType<typeof scratchDir>
  let lab: LabHost
  let agent: ChildProcess
  let socket: string
  let transport: Transport | undefined

  beforeEach(async () => {
    scratch = scratchDir('fpmfix-ssh-agent-')
    socket = join(scratch.dir, 'agent.sock')
    agent = spawn('ssh-agent', ['-D', '-a', socket], {stdio: 'ignore'})
    await vi.waitFor(() => expect(existsSync(socket)).toBe(true))
    const key = writeKeyFile(scratch.dir, 'id_agent', clientKey.private)
    const added = spawnSync('ssh-add', [key], {env: {...process.env, SSH_AUTH_SOCK: socket}, encoding: 'utf8'})
    if (added.status !== 0) throw new Error(`ssh-add failed: ${added.stderr}`)
    lab = await startLabHost(clientKey.public)
    writeFileSync(join(scratch.dir, 'known_hosts'), `${lab.knownHostsLine}\n`)
  })

  afterEach(async () => {
    await transport?.close()
    transport = undefined
    await lab.server.close()
    agent.kill()
    scratch.cleanup()
    vi.unstubAllEnvs()
  })

  it('uses the agent at SSH_AUTH_SOCK when no key file is given', async () => {
    vi.stubEnv('SSH_AUTH_SOCK', socket)
    transport = await connectSsh({
      host: '127.0.0.1',
      port: lab.server.port,
      user: 'deploy',
      knownHostsFile: join(scratch.dir, 'known_hosts'),
    })
    expect((await transport.exec('true')).code).toBe(0)
  })

  it('names the agent among the methods tried when its keys are refused', async () => {
    vi.stubEnv('SSH_AUTH_SOCK', '')
    const other = await startLabHost(generateKeyPair().public)
    try {
      writeFileSync(join(scratch.dir, 'known_hosts'), `${other.knownHostsLine}\n`)
      const error = await fpmfixFailure(
        connectSsh({
          host: '127.0.0.1',
          port: other.server.port,
          user: 'deploy',
          agent: socket,
          knownHostsFile: join(scratch.dir, 'known_hosts'),
        }),
      )
      expect(error.code).toBe('SSH_AUTH_FAILED')
      expect(error.message).toContain(`agent (${socket})`)
    } finally {
      await other.server.close()
    }
  })
})
