import type {HostConnection} from '../model/target.js'

/** What every transport returns for one command, local or over SSH. */
export interface ExecResult {
  /** Exit status, or null when the command ended on a signal or the channel closed without one. */
  code: number | null
  signal: string | null
  stdout: string
  stderr: string
  durationMs: number
}

export interface ExecOptions {
  /** Bytes written to the command's stdin, then stdin is closed. */
  stdin?: string | Buffer
  /** Kill the command (and fail with EXEC_TIMEOUT) after this long. */
  timeoutMs?: number
}

/** One open connection to one host. Commands are POSIX sh command lines. */
export interface Transport {
  readonly kind: 'local' | 'ssh'
  /** How the host was reached (address, user, jump hosts, key and known_hosts files, host key), for a plan to record. */
  readonly connection?: HostConnection
  /** Run a sh command line (with sudo -n when the target asked to become root). */
  exec(command: string, options?: ExecOptions): Promise<ExecResult>
  close(): Promise<void>
}
