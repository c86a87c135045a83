import {spawnSync} from 'node:child_process'
import {chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {afterEach, describe, expect, it} from 'vitest'
import {createLocalTransport, localCommandArgv, sudoFailure} from '../../../src/transport/local.js'

const temps: string[] = []
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'fpmfix-local-'))
  temps.push(dir)
  return dir
}

afterEach(() => {
  for (const dir of temps.splice(0)) rmSync(dir, {recursive: true, force: true})
})

/** Running, as opposed to gone or a zombie waiting for an init that may never reap it. */
function processRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z'
  } catch {
    return false
  }
}

describe('createLocalTransport', () => {
  const transport = createLocalTransport({})

  it('runs a sh command line and returns its exit status, stdout and stderr', async () => {
    const result = await transport.exec('printf out; printf err >&2; exit 3')
    expect(result).toMatchObject({code: 3, signal: null, stdout: 'out', stderr: 'err'})
    expect(result.durationMs).toBeGreaterThanOrEqual(0)
    expect(transport.kind).toBe('local')
  })

  it('feeds stdin and closes it', async () => {
    const result = await transport.exec('wc -l', {stdin: 'a\nb\nc\n'})
    expect(result.stdout.trim()).toBe('3')
  })

  it('reports a command that died on a signal', async () => {
    const result = await transport.exec('kill -TERM $$')
    expect(result).toMatchObject({code: null, signal: 'SIGTERM'})
  })

  it('decodes UTF-8 once, so characters split across pipe chunks survive', async () => {
    const result = await transport.exec("i=0; while [ $i -lt 40000 ]; do printf 'é€'; i=$((i+1)); done")
    expect(result.stdout).toBe('é€'.repeat(40000))
  })

  it('kills the whole process group on timeout and fails with EXEC_TIMEOUT', async () => {
    const pidFile = join(tempDir(), 'pid')
    await expect(transport.exec(`sleep 30 & echo $! > ${pidFile}; wait`, {timeoutMs: 300})).rejects.toMatchObject({
      code: 'EXEC_TIMEOUT',
    })
    const grandchild = Number(readFileSync(pidFile, 'utf8'))
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(processRunning(grandchild)).toBe(false)
  })

  it('fails with EXEC_TIMEOUT even when a detached grandchild keeps the pipes open', async () => {
    const started = Date.now()
    const pidFile = join(tempDir(), 'pid')
    await expect(
      transport.exec(`setsid sleep 5 & echo $! > ${pidFile}; sleep 30`, {timeoutMs: 200}),
    ).rejects.toMatchObject({code: 'EXEC_TIMEOUT'})
    expect(Date.now() - started).toBeLessThan(3000)
    process.kill(Number(readFileSync(pidFile, 'utf8')), 'SIGKILL')
  })

  it('close() kills commands still running', async () => {
    const own = createLocalTransport({})
    const running = own.exec('sleep 30')
    await new Promise((resolve) => setTimeout(resolve, 100))
    await own.close()
    await expect(running).resolves.toMatchObject({signal: 'SIGKILL'})
  })
})

describe('localCommandArgv', () => {
  it('wraps in sudo -n only when becoming root from another user', () => {
    expect(localCommandArgv('id -u', true, 1000)).toEqual(['sudo', '-n', '--', 'sh', '-c', 'id -u'])
    expect(localCommandArgv('id -u', true, 0)).toEqual(['sh', '-c', 'id -u'])
    expect(localCommandArgv('id -u', false, 1000)).toEqual(['sh', '-c', 'id -u'])
  })
})

describe('sudoFailure', () => {
  it('maps sudo refusals to stable codes and leaves command errors alone', () => {
    expect(sudoFailure('sudo: a password is required\n')?.code).toBe('SUDO_PASSWORD_REQUIRED')
    expect(sudoFailure('deploy is not in the sudoers file.  This incident will be reported.\n')?.code).toBe(
      'SUDO_DENIED',
    )
    expect(sudoFailure("Sorry, user limited is not allowed to execute '/bin/sh -c id' as root on web1.\n")?.code).toBe(
      'SUDO_DENIED',
    )
    expect(sudoFailure('sh: 1: nginx: a password is required\n')).toBeUndefined()
    expect(sudoFailure('nginx: [emerg] unknown directive "fastcgi_pas"\n')).toBeUndefined()
  })
})

const canSwitchUser =
  process.getuid?.() === 0 && spawnSync('runuser', ['--help']).status === 0 && spawnSync('sudo', ['-V']).status === 0

describe.skipIf(!canSwitchUser)('become as a user without sudo rights', () => {
  it('fails with SUDO_PASSWORD_REQUIRED instead of hanging on a prompt', () => {
    const dir = tempDir()
    chmodSync(dir, 0o755)
    const module = fileURLToPath(new URL('../../../src/transport/local.ts', import.meta.url))
    const probe = join(dir, 'probe.mts')
    writeFileSync(
      probe,
      `import {createLocalTransport} from ${JSON.stringify(module)}\n` +
        `try { await createLocalTransport({become: true}).exec('id -u'); console.log('ran') }\n` +
        `catch (error) { console.log(error.code) }\n`,
    )
    const result = spawnSync(
      'runuser',
      ['-u', 'nobody', '--', 'env', `HOME=${dir}`, process.execPath, '--import', 'tsx', probe],
      {
        cwd: fileURLToPath(new URL('../../../', import.meta.url)),
        encoding: 'utf8',
        timeout: 20_000,
      },
    )
    expect(result.stdout.trim(), result.stderr).toBe('SUDO_PASSWORD_REQUIRED')
  })
})
