import type {ApplyProbes, FpmInstallOptions, HttpProbe, NginxOptions} from '../model/verification.js'
import type {LockInfo, StepTiming} from '../protocol/journal.js'

/** How services are controlled on the host; detected there unless forced. */
export type ServiceManagerKind = 'systemd' | 'sysv' | 'openrc' | 'none'

export interface StepEvent extends StepTiming {
  txid: string
  /** Human label, e.g. `reload php8.2-fpm`. */
  label: string
}

export interface ApplyOptions {
  /** `user@client-host` recorded in the lock; default this process's user and host name. */
  owner?: string
  /** Per php-fpm install, keyed by install id (its binary path). */
  fpm?: Record<string, FpmInstallOptions>
  nginx?: NginxOptions
  /** The probes after the last action (each action's own gate comes from the plan). */
  probes?: ApplyProbes
  /** HTTP probes that replace those of every action's gate that has some (`--probe-url`). */
  gateHttpProbes?: HttpProbe[]
  /** Skip host-side detection of systemd / SysV / OpenRC / none. */
  serviceManager?: ServiceManagerKind
  /** Bound on waiting for one service action to take effect (default 15000). */
  serviceTimeoutMs?: number
  /** Bound on one probe request (default 10000). */
  probeTimeoutMs?: number
  /**
   * Bound on waiting, before php-fpm is stopped or replaced, until nginx's old workers and the
   * connections to the service are gone (default 60000); past it the action goes ahead.
   */
  drainTimeoutMs?: number
  /** Bound on the whole transaction as seen by the client (default 300000). */
  timeoutMs?: number
  /** PHP CLI used for the FastCGI probe (default `php`). */
  phpCli?: string
  /** Where the journal and the lock live (default /var/lib/fpmfix). */
  stateDir?: string
  /** Each step as the host completes it: `start` once the transaction runs, then the transaction's own steps. */
  onStep?: (step: StepEvent) => void
}

/**
 * How one host's apply ended: `applied` (committed), `undone` (a rollback committed),
 * `already-applied` (this plan was applied before and is still in effect; nothing written),
 * `unchanged` (nothing to do), `rolled-back`, `rollback-failed`, `refused-stale`, `locked`,
 * `failed` (nothing written).
 */
export type ApplyStatus =
  | 'applied'
  | 'undone'
  | 'already-applied'
  | 'unchanged'
  | 'rolled-back'
  | 'rollback-failed'
  | 'refused-stale'
  | 'locked'
  | 'failed'

export interface ApplyResult {
  status: ApplyStatus
  txid?: string
  /** The step that failed: check, backup, write, validate, action-N, probe, signal-TERM, … */
  failedStep?: string
  /** Output of the failed step (validation errors, the wait that timed out, the probe response). */
  output?: string
  /** Fingerprint keys (paths, state keys) that no longer match the plan. */
  stale?: string[]
  /** What changed since the plan, in words, one per stale key. */
  staleReasons?: string[]
  /** For already-applied: the transaction that applied this plan. */
  appliedBy?: string
  /** For an undo: the transaction it rolled back. */
  undid?: string
  /** The holder when status is `locked`. */
  lock?: LockInfo
  /** A dead transaction's lock this one took over (and recovered) before running. */
  recoveredLock?: LockInfo
  /** For rollback-failed: which part of the rollback failed (restore, validate, services). */
  rollbackStep?: string
  steps: StepTiming[]
  /** Tail of the host-side log, when the transaction did not commit. */
  log?: string
  note?: string
}

/** What a host's journal says about one transaction, running or finished. */
export interface TransactionReport {
  txid: string
  /** The transaction process is alive. */
  running: boolean
  /** Neither running nor finished: it died (the next apply recovers it). */
  interrupted: boolean
  /** Step names completed so far, in order. */
  steps: StepTiming[]
  /** Present once finished. */
  result?: ApplyResult
}

export type {LockInfo, StepTiming}
