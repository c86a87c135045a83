import {spawn} from 'node:child_process'
import {closeSync, openSync} from 'node:fs'
import {readFile} from 'node:fs/promises'
import {setTimeout as sleep} from 'node:timers/promises'
import {LabError} from './lab-error.js'
import type {HostLayout} from './paths.js'
import {isProcessAlive, processCommandLine, signalProcess} from './proc.js'
import {HOST_ENV, type RunOptions, type RunResult, runProgram} from './process-run.js'
import {waitFor} from './wait.js'

export interface NamespaceProcess {
  /** Host-side pid of the namespace's pid 1. */
  hostPid: number
  /** Host-side pid of the `unshare` process whose child is pid 1. */
  unsharePid: number
  /** The init script path; both processes carry it on their command line, which identifies them. */
  initScript: string
}

export interface SpawnOptions {
  /**
   * Keep the namespace running after this process exits (for `lab-cli up --detach`).
   * Otherwise the kernel SIGKILLs it when this process dies, however it dies.
   */
  detached: boolean
  /** A network namespace of its own (only loopback), instead of the machine's. */
  privateNetwork?: boolean
}

const UNSHARE_ARGS = ['--mount', '--pid', '--uts', '--fork', '--kill-child=SIGKILL']

/** Start `unshare … bash init.sh` with output to the host's init.log; wait for pid 1 to report its host-side pid. */
export async function spawnNamespace(layout: HostLayout, options: SpawnOptions): Promise<NamespaceProcess> {
  const namespaces = options.privateNetwork === true ? [...UNSHARE_ARGS, '--net'] : UNSHARE_ARGS
  const unshare = ['unshare', ...namespaces, '--', '/bin/bash', layout.initScript]
  const command = options.detached ? unshare : ['setpriv', '--pdeathsig', 'KILL', '--', ...unshare]
  const logFd = openSync(layout.initLog, 'a')
  let failure: string | undefined
  let unsharePid: number | undefined
  try {
    // A session of its own: a Ctrl-C meant for the launcher must not reach the namespace.
    const child = spawn(command[0]!, command.slice(1), {
      detached: true,
      stdio: ['ignore', logFd, logFd],
      env: HOST_ENV,
      cwd: '/',
    })
    child.on('exit', (code, signal) => (failure = `unshare exited (${signal ?? code})`))
    child.on('error', (error) => (failure = `could not start ${command[0]}: ${error.message}`))
    child.unref()
    unsharePid = child.pid
  } finally {
    closeSync(logFd)
  }
  const initLog = (): Promise<string> => readFile(layout.initLog, 'utf8').catch(() => '')
  try {
    const hostPid = await waitFor(
      async () => {
        if (failure) throw new LabError(failure, {log: await initLog()})
        const pid = Number.parseInt(await readFile(layout.initPidFile, 'utf8').catch(() => ''), 10)
        return Number.isInteger(pid) && pid > 0 ? pid : undefined
      },
      {timeoutMs: 10_000, what: `namespace init of ${layout.dir} to report its pid`, describeFailure: initLog},
    )
    return {hostPid, unsharePid: unsharePid!, initScript: layout.initScript}
  } catch (error) {
    if (unsharePid !== undefined) signalProcess(unsharePid, 'SIGKILL')
    throw error
  }
}

/** True when `pid` is one of this namespace's processes (guards against a reused pid). */
export function isNamespaceProcess(pid: number, initScript: string): boolean {
  return processCommandLine(pid).includes(initScript)
}

/**
 * SIGKILL pid 1 (the kernel then kills everything inside), let `unshare` reap it and exit,
 * SIGKILL `unshare` too if it lingers, and wait until neither process is alive.
 */
export async function killNamespace(ns: NamespaceProcess): Promise<void> {
  if (isNamespaceProcess(ns.hostPid, ns.initScript)) signalProcess(ns.hostPid, 'SIGKILL')
  if (!(await waitForDeath(ns.unsharePid, 3_000)) && isNamespaceProcess(ns.unsharePid, ns.initScript)) {
    signalProcess(ns.unsharePid, 'SIGKILL')
  }
  const gone = (await waitForDeath(ns.unsharePid, 5_000)) && (await waitForDeath(ns.hostPid, 5_000))
  if (!gone) {
    throw new LabError(`namespace processes ${ns.hostPid}/${ns.unsharePid} (${ns.initScript}) survived SIGKILL`)
  }
}

/** The synchronous part of killNamespace, for process 'exit' handlers. */
export function killNamespaceNow(ns: NamespaceProcess): void {
  for (const pid of [ns.hostPid, ns.unsharePid]) {
    if (isNamespaceProcess(pid, ns.initScript)) signalProcess(pid, 'SIGKILL')
  }
}

async function waitForDeath(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (isProcessAlive(pid)) {
    if (Date.now() >= deadline) return false
    await sleep(20)
  }
  return true
}

/**
 * Run `sh -c script` inside the namespace (mount, pid and uts; its network too when it has its
 * own) as root, with a clean login-like env plus `options.env`.
 */
export function execInNamespace(
  hostPid: number,
  script: string,
  options: RunOptions & {privateNetwork?: boolean} = {},
): Promise<RunResult> {
  const net = options.privateNetwork === true ? ['-n'] : []
  const args = ['-t', String(hostPid), '-m', '-p', '-u', ...net, '--', '/bin/sh', '-c', script]
  return runProgram('nsenter', args, {...options, env: {...HOST_ENV, ...options.env}})
}
