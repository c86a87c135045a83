import {dirname} from 'node:path'
import {shellQuote} from '../../../src/util/shell-quote.js'
import {type HttpResult, httpGet} from './http-probe.js'
import {LabError, LabExecError} from './lab-error.js'
import {execInNamespace, type NamespaceProcess} from './namespace.js'

export interface ExecOptions {
  stdin?: string
  /** Resolve with the result instead of throwing when the exit code is not 0. */
  allowFail?: boolean
  timeoutMs?: number
}

export interface ExecResult {
  code: number
  stdout: string
  stderr: string
}

export interface LabHost {
  name: string
  sshPort: number
  httpPort: number
  /** Two more free loopback ports, for php-fpm TCP pools and the like. */
  sparePorts: number[]
  /** Host-side pid of the namespace's pid 1. */
  hostPid: number
  /** The known_hosts line for this host's sshd. */
  hostKeyLine: string
  /** The launcher's directory for this host (scripts, setup log). */
  dir: string
  /** False once stop() has been called. */
  readonly running: boolean
  exec(script: string, options?: ExecOptions): Promise<ExecResult>
  readFile(path: string): Promise<string>
  writeFile(path: string, content: string, mode?: number): Promise<void>
  http(path: string, options?: {timeoutMs?: number}): Promise<HttpResult>
  /** Kill this host only (the others keep running), e.g. to simulate a dead host. */
  stop(): Promise<void>
}

export interface LabHostParams {
  name: string
  sshPort: number
  httpPort: number
  sparePorts: number[]
  hostKeyLine: string
  dir: string
  namespace: NamespaceProcess
  /** Kills the namespace and cleans up after it; called at most once. */
  teardown: () => Promise<void>
}

export function createLabHost(params: LabHostParams): LabHost {
  let stopping: Promise<void> | undefined
  const exec = async (script: string, options: ExecOptions = {}): Promise<ExecResult> => {
    if (stopping) throw new LabError(`lab host ${params.name} is stopped; cannot run: ${script}`, {host: params.name})
    const result = await execInNamespace(params.namespace.hostPid, script, options)
    if (result.code !== 0 && !options.allowFail) throw new LabExecError(params.name, script, result)
    return result
  }
  return {
    name: params.name,
    sshPort: params.sshPort,
    httpPort: params.httpPort,
    sparePorts: params.sparePorts,
    hostPid: params.namespace.hostPid,
    hostKeyLine: params.hostKeyLine,
    dir: params.dir,
    get running() {
      return stopping === undefined
    },
    exec,
    async readFile(path) {
      return (await exec(`cat -- ${shellQuote(path)}`)).stdout
    },
    async writeFile(path, content, mode) {
      const chmod = mode === undefined ? '' : ` && chmod ${mode.toString(8)} -- ${shellQuote(path)}`
      await exec(`mkdir -p -- ${shellQuote(dirname(path))} && cat > ${shellQuote(path)}${chmod}`, {stdin: content})
    },
    http(path, options = {}) {
      return httpGet(params.httpPort, path, options.timeoutMs)
    },
    stop() {
      stopping ??= params.teardown()
      return stopping
    },
  }
}
