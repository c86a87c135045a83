import {spawn} from 'node:child_process'
import {constants} from 'node:os'

export interface RunResult {
  code: number
  stdout: string
  stderr: string
}

export interface RunOptions {
  stdin?: string
  timeoutMs?: number
  env?: NodeJS.ProcessEnv
}

/** Environment for commands run inside a lab host: what a root login shell on Debian would have. */
export const HOST_ENV: NodeJS.ProcessEnv = {
  PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  HOME: '/root',
  LC_ALL: 'C',
}

/** How long to keep reading after exit: a daemon started by the command may still hold the pipes. */
const DRAIN_AFTER_EXIT_MS = 300

/**
 * Run a program to completion and collect its output. Resolves on exit (plus a short drain)
 * rather than on pipe close, so a daemonised grandchild holding stdout cannot hang the caller.
 */
export function runProgram(file: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {env: options.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe']})
    const stdout: Buffer[] = []
    const stderr: Buffer[] = []
    let settled = false
    let timedOut = false
    const finish = (code: number): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      child.stdout.destroy()
      child.stderr.destroy()
      const out = Buffer.concat(stdout).toString('utf8')
      const err = Buffer.concat(stderr).toString('utf8')
      if (timedOut) {
        reject(new Error(`${file} ${args.join(' ')} timed out after ${options.timeoutMs} ms\n${out}\n${err}`))
      } else {
        resolve({code, stdout: out, stderr: err})
      }
    }
    const timer = setTimeout(() => {
      timedOut = true
      child.kill('SIGKILL')
    }, options.timeoutMs ?? 120_000)
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk))
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk))
    child.on('error', (error) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      reject(error)
    })
    child.on('close', (code, signal) => finish(exitStatus(code, signal)))
    child.on('exit', (code, signal) => {
      setTimeout(() => finish(exitStatus(code, signal)), DRAIN_AFTER_EXIT_MS).unref()
    })
    child.stdin.on('error', () => {})
    child.stdin.end(options.stdin ?? '')
  })
}

/** The shell's convention: 128 + signal number when killed by a signal. */
function exitStatus(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code
  return 128 + (signal ? constants.signals[signal] : 0)
}
