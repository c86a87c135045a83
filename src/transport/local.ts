import {spawn} from 'node:child_process'
import {hostname} from 'node:os'
import {FpmfixError} from '../errors.js'
import type {ExecOptions, ExecResult, Transport} from './transport.js'

export interface LocalTransportOptions {
  /** Run commands as root through `sudo -n` when this process is not root already. */
  become?: boolean
}

/** Grace after SIGKILL before giving up on the pipes closing (a daemonised grandchild may hold them). */
const KILL_GRACE_MS = 1000

/** argv for one command: `sh -c CMD`, or `sudo -n -- sh -c CMD` to become root. No shell sees CMD but the target sh. */
export function localCommandArgv(command: string, become: boolean, uid: number | undefined): string[] {
  const shell = ['sh', '-c', command]
  return become && uid !== 0 ? ['sudo', '-n', '--', ...shell] : shell
}

/** Map sudo's own refusal (not the command's failure) to an error; undefined when sudo was not the problem. */
export function sudoFailure(stderr: string): FpmfixError | undefined {
  if (/^sudo: (?:a password is required|a terminal is required)/m.test(stderr)) {
    return new FpmfixError('SUDO_PASSWORD_REQUIRED', 'sudo needs a password to become root on this machine', {
      hint: 'Allow passwordless sudo (NOPASSWD) for this user, or run fpmfix as root.',
    })
  }
  if (
    /^(?:sudo: )?\S+ is not in the sudoers file|^Sorry, user \S+ (?:is not allowed to execute|may not run sudo)/m.test(
      stderr,
    )
  ) {
    return new FpmfixError('SUDO_DENIED', 'sudo refused to run commands as root for this user', {
      hint: 'Grant this user sudo rights, or run fpmfix as root.',
      details: {stderr: stderr.trim()},
    })
  }
  return undefined
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return
  try {
    process.kill(-pid, 'SIGKILL')
  } catch {
    // Already gone.
  }
}

function run(argv: string[], options: ExecOptions, viaSudo: boolean, live: Set<number>): Promise<ExecResult> {
  const [file = 'sh', ...args] = argv
  const started = performance.now()
  return new Promise((resolve, reject) => {
    // Own process group, so a timeout can kill the command and everything it started.
    const child = spawn(file, args, {stdio: ['pipe', 'pipe', 'pipe'], detached: true})
    if (child.pid !== undefined) live.add(child.pid)
    const stdout: Buffer[] = []
    const stderr: Buffer[] = []
    let timedOut = false
    let settled = false
    let graceTimer: NodeJS.Timeout | undefined
    const finish = (outcome: () => void): void => {
      if (settled) return
      settled = true
      if (child.pid !== undefined) live.delete(child.pid)
      clearTimeout(timer)
      clearTimeout(graceTimer)
      outcome()
    }
    const timeoutError = (): FpmfixError =>
      new FpmfixError('EXEC_TIMEOUT', `command did not finish within ${options.timeoutMs} ms and was killed`, {
        hint: 'Raise the timeout, or check what blocks on this machine.',
        details: {command: argv.at(-1)},
      })
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true
            killGroup(child.pid)
            graceTimer = setTimeout(() => {
              child.stdout.destroy()
              child.stderr.destroy()
              finish(() => reject(timeoutError()))
            }, KILL_GRACE_MS)
          }, options.timeoutMs)
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk))
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk))
    // The command may exit without reading its stdin; that EPIPE is not an error of ours.
    child.stdin.on('error', () => undefined)
    child.on('error', (error) =>
      finish(() =>
        reject(
          new FpmfixError('EXEC_FAILED', `cannot run ${file}: ${error.message}`, {
            hint: viaSudo ? 'Install sudo or run fpmfix as root.' : 'Check that /bin/sh exists.',
            cause: error,
          }),
        ),
      ),
    )
    child.on('close', (code, signal) =>
      finish(() => {
        if (timedOut) return reject(timeoutError())
        const result: ExecResult = {
          code,
          signal,
          stdout: Buffer.concat(stdout).toString('utf8'),
          stderr: Buffer.concat(stderr).toString('utf8'),
          durationMs: Math.round(performance.now() - started),
        }
        const refusal = viaSudo && code !== 0 ? sudoFailure(result.stderr) : undefined
        if (refusal !== undefined) return reject(refusal)
        resolve(result)
      }),
    )
    child.stdin.end(options.stdin ?? '')
  })
}

/** Commands on this machine through `sh -c`, optionally via passwordless sudo. close() kills commands still running. */
export function createLocalTransport(options: LocalTransportOptions = {}): Transport {
  const uid = process.getuid?.()
  const become = options.become === true
  const live = new Set<number>()
  return {
    kind: 'local',
    connection: {connection: 'local', become, machine: hostname()},
    exec(command: string, execOptions: ExecOptions = {}): Promise<ExecResult> {
      const argv = localCommandArgv(command, become, uid)
      return run(argv, execOptions, argv[0] === 'sudo', live)
    },
    async close(): Promise<void> {
      for (const pid of live) killGroup(pid)
      live.clear()
    },
  }
}
