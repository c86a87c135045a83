import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterEach, beforeEach, describe, expect, it, vi} from 'vitest'
import {connectSsh, type SshConnectOptions} from '../../../../src/transport/ssh/ssh-transport.js'
import type {Transport} from '../../../../src/transport/transport.js'
import {generateKeyPair, type ExecReply} from './support/fake-sshd.js'
import {fpmfixFailure, scratchDir, startLabHost, writeKeyFile, type LabHost} from './support/fixtures.js'

const clientKey = generateKeyPair()
let scratch: ReturnType<typeof scratchDir>
let lab: LabHost
let transport: Transport | undefined
let replies: (command: string, stdin: string) => ExecReply

async function connect(extra: Partial<SshConnectOptions> = {}): Promise<Transport> {
  const knownHostsFile = join(scratch.dir, 'known_hosts')
  writeFileSync(knownHostsFile, `${lab.knownHostsLine}\n`)
  transport = await connectSsh({
    host: '127.0.0.1',
    port: lab.server.port,
    user: 'deploy',
    hostAlias: 'web1',
    privateKeyFile: writeKeyFile(scratch.dir, 'id_ed25519', clientKey.private),
    knownHostsFile,
    ...extra,
  })
  return transport
}

beforeEach(async () => {
  vi.stubEnv('SSH_AUTH_SOCK', '')
  scratch = scratchDir('fpmfix-ssh-exec-')
  replies = (command) => ({stdout: `ran: ${command}\n`, exit: 0})
  lab = await startLabHost(clientKey.public, {respond: (command, stdin) => replies(command, stdin)})
})

afterEach(async () => {
  await transport?.close()
  transport = undefined
  await lab.server.close()
  scratch.cleanup()
  vi.unstubAllEnvs()
})

describe('exec over ssh', () => {
  it('returns stdout, stderr and the exit code of the command the server ran', async () => {
    replies = () => ({stdout: 'pool www\n', stderr: 'warning: deprecated\n', exit: 3})
    const ssh = await connect()
    const result = await ssh.exec('php-fpm8.2 -tt')
    expect(lab.server.events.exec).toEqual(['php-fpm8.2 -tt'])
    expect(result).toMatchObject({code: 3, signal: null, stdout: 'pool www\n', stderr: 'warning: deprecated\n'})
    expect(result.durationMs).toBeGreaterThanOrEqual(0)
    expect(ssh.kind).toBe('ssh')
  })

  it('reports a command killed by a signal with code null and the signal name', async () => {
    replies = () => ({exit: {signal: 'KILL'}})
    const result = await (await connect()).exec('sleep 100')
    expect(result).toMatchObject({code: null, signal: 'SIGKILL'})
  })

  it('reports code null when the channel closes without an exit status', async () => {
    replies = () => ({stdout: 'half', exit: 'none'})
    const result = await (await connect()).exec('true')
    expect(result).toMatchObject({code: null, signal: null, stdout: 'half'})
  })

  it('decodes UTF-8 split across packets only once, at the end', async () => {
    const text = Buffer.from('listen = /run/php/café.sock\n')
    const cut = text.indexOf(0xc3) + 1
    replies = () => ({stdout: [text.subarray(0, cut), text.subarray(cut)], exit: 0})
    const result = await (await connect()).exec('cat www.conf')
    expect(result.stdout).toBe('listen = /run/php/café.sock\n')
  })

  it('writes stdin and closes it; without stdin the command still sees EOF', async () => {
    replies = (_command, stdin) => ({stdout: stdin.toUpperCase(), exit: 0})
    const ssh = await connect()
    expect((await ssh.exec('cat', {stdin: 'pm.max_children = 20\n'})).stdout).toBe('PM.MAX_CHILDREN = 20\n')
    expect((await ssh.exec('cat')).stdout).toBe('')
    expect(lab.server.events.stdin).toEqual(['pm.max_children = 20\n', ''])
  })

  it('runs many commands concurrently on one connection, more than sshd allows sessions', async () => {
    const ssh = await connect()
    const commands = Array.from({length: 25}, (_, index) => `echo ${index}`)
    const results = await Promise.all(commands.map((command) => ssh.exec(command)))
    expect(results.map((result) => result.stdout)).toEqual(commands.map((command) => `ran: ${command}\n`))
    expect(lab.server.events.connections).toBe(1)
  })

  it('kills a command that outlives timeoutMs and fails with EXEC_TIMEOUT', async () => {
    replies = () => 'hang'
    const ssh = await connect()
    const started = Date.now()
    const error = await fpmfixFailure(ssh.exec('sleep 600', {timeoutMs: 200}))
    expect(error.code).toBe('EXEC_TIMEOUT')
    expect(error.host).toBe('web1')
    expect(Date.now() - started).toBeLessThan(2000)
    await vi.waitFor(() => expect(lab.server.events.signals).toEqual(['KILL']))
    replies = () => ({stdout: 'still usable\n', exit: 0})
    expect((await ssh.exec('true')).stdout).toBe('still usable\n')
  })

  it('fails with SSH_DISCONNECTED when the connection drops mid-command, and for later commands', async () => {
    replies = () => 'drop-connection'
    const ssh = await connect()
    const error = await fpmfixFailure(ssh.exec('tail -f /var/log/php8.2-fpm.log'))
    expect(error.code).toBe('SSH_DISCONNECTED')
    expect(error.host).toBe('web1')
    expect((await fpmfixFailure(ssh.exec('true'))).code).toBe('SSH_DISCONNECTED')
  })

  it('close() ends the connection; exec afterwards fails clearly', async () => {
    const ssh = await connect()
    await ssh.close()
    await ssh.close()
    expect((await fpmfixFailure(ssh.exec('true'))).code).toBe('SSH_DISCONNECTED')
  })
})

describe('become', () => {
  it('wraps the command in sudo -n -- sh -c with the command quoted as one word', async () => {
    const ssh = await connect({become: true})
    await ssh.exec("cat /etc/php/8.2/fpm/pool.d/www.conf && echo 'done'")
    expect(lab.server.events.exec).toEqual([
      `sudo -n -- sh -c 'cat /etc/php/8.2/fpm/pool.d/www.conf && echo '\\''done'\\'''`,
    ])
  })

  it('does not use sudo when logged in as root', async () => {
    const ssh = await connect({become: true, user: 'root'})
    await ssh.exec('id -u')
    expect(lab.server.events.exec).toEqual(['id -u'])
    expect(lab.server.events.auth.at(-1)?.user).toBe('root')
  })

  it('fails with SUDO_PASSWORD_REQUIRED instead of hanging when sudo wants a password', async () => {
    replies = () => ({stderr: 'sudo: a password is required\n', exit: 1})
    const error = await fpmfixFailure((await connect({become: true})).exec('nginx -T'))
    expect(error.code).toBe('SUDO_PASSWORD_REQUIRED')
    expect(error.host).toBe('web1')
    expect(error.message).toContain('deploy')
    expect(error.hint).toMatch(/NOPASSWD/)
  })

  it('fails with SUDO_DENIED when the user is not in sudoers', async () => {
    replies = () => ({stderr: 'deploy is not in the sudoers file.  This incident will be reported.\n', exit: 1})
    expect((await fpmfixFailure((await connect({become: true})).exec('nginx -T'))).code).toBe('SUDO_DENIED')
  })

  it('passes through a failure of the command itself', async () => {
    replies = () => ({stderr: 'nginx: [emerg] unknown directive "fastcgi_pas"\n', exit: 1})
    const result = await (await connect({become: true})).exec('nginx -t')
    expect(result.code).toBe(1)
  })
})
