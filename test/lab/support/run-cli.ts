import {spawn} from 'node:child_process'
import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..')
export const CLI_ENTRY = path.join(REPO_ROOT, 'bin', 'run.js')

export interface CliRunOptions {
  /** Environment on top of the hermetic default (see cliEnvironment); a value of undefined removes a variable. */
  env?: NodeJS.ProcessEnv
  /** Kill the CLI after this long (default 60 s); the result then has `timedOut: true`. */
  timeoutMs?: number
  stdin?: string
}

export interface CliRun<T = unknown> {
  /** Exit status; null when the process died from a signal. */
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
  /** Wall time from spawn to exit. */
  durationMs: number
  timedOut: boolean
  /** stdout parsed as JSON when the arguments contain --json and it parsed. */
  json?: T
}

/** Run `node bin/run.js ARGS` from the repository root, as a user would, and collect everything it printed. */
export async function runCli<T = unknown>(args: readonly string[], options: CliRunOptions = {}): Promise<CliRun<T>> {
  const home = await mkdtemp(path.join(tmpdir(), 'fpmfix-cli-home-'))
  try {
    return await spawnCli<T>(args, {...options, env: {...cliEnvironment(home), ...options.env}})
  } finally {
    await rm(home, {recursive: true, force: true})
  }
}

function spawnCli<T>(args: readonly string[], options: CliRunOptions): Promise<CliRun<T>> {
  const started = performance.now()
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_ENTRY, ...args], {
      cwd: REPO_ROOT,
      env: options.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    const stdout: Buffer[] = []
    const stderr: Buffer[] = []
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      child.kill('SIGKILL')
    }, options.timeoutMs ?? 60_000)
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk))
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk))
    child.once('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
    child.once('close', (code, signal) => {
      clearTimeout(timer)
      const run: CliRun<T> = {
        code,
        signal,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
        durationMs: performance.now() - started,
        timedOut,
      }
      if (args.includes('--json')) {
        try {
          run.json = JSON.parse(run.stdout) as T
        } catch {
          // Left undefined: the caller's assertion on `json` shows stdout and stderr.
        }
      }
      resolve(run)
    })
    child.stdin.end(options.stdin ?? '')
  })
}

/**
 * This process's environment without what would let the machine's own SSH setup decide a result:
 * no agent, no FPMFIX_* defaults, and `home` as HOME (no ~/.ssh/config, default identities or
 * known_hosts). Colour off, as for a pipe.
 */
export function cliEnvironment(home: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (key === 'SSH_AUTH_SOCK' || key === 'FORCE_COLOR' || key.startsWith('FPMFIX_')) continue
    env[key] = value
  }
  return {...env, HOME: home, NO_COLOR: '1'}
}

/** A readable account of one run, for assertion messages. */
export function describeRun(run: CliRun): string {
  const status = `exit ${run.code ?? run.signal}${run.timedOut ? ' (timed out)' : ''} after ${Math.round(run.durationMs)} ms`
  return `${status}\n--- stdout ---\n${run.stdout}\n--- stderr ---\n${run.stderr}`
}
