import type {ServiceActionKind, ServiceTarget} from '../model/finding.js'

/** How services are controlled on the host; detected there unless forced. */
export type ServiceManagerKind = 'systemd' | 'sysv' | 'openrc' | 'none'

/** A unix socket a pool must create, with the owner/group/mode it must have (names or numeric ids; mode octal). */
export interface SocketExpectation {
  path: string
  owner?: string
  group?: string
  mode?: string
}

export interface TcpExpectation {
  host: string
  port: number
}

/** One listener a php-fpm install must serve after its action: a unix socket or a TCP port. */
export interface ListenerExpectation {
  socket?: SocketExpectation
  tcp?: TcpExpectation
}

/** What apply needs to know about one php-fpm install (keyed by install id = binary path). */
export interface FpmInstallOptions {
  /** Main config passed as `-y` to `php-fpm -t` and to a direct start. */
  mainConfig?: string
  /** Listeners that must be up (with this owner/group/mode) once the action has taken effect. */
  expect?: ListenerExpectation[]
}

export interface NginxOptions {
  /** nginx binary; default `nginx` from PATH. */
  binary?: string
  /** `-c` main config, when not the compiled-in default. */
  config?: string
  /** `-p` prefix, when not the compiled-in default. */
  prefix?: string
}

/** A FastCGI round trip to one pool; any well-formed response means the pool answers. */
export interface FastcgiProbe {
  /** Unix socket path, or `{host, port}` for TCP. */
  socket?: string
  tcp?: TcpExpectation
  /** The pool's `ping.path`, when it defines one; otherwise a request for a missing script is sent. */
  pingPath?: string
}

/** An HTTP GET through nginx; 502, 504 or no response fails the transaction. */
export interface HttpProbe {
  /** `http://127.0.0.1:PORT/path` */
  url: string
  /** Host header, to reach a name-based server block. */
  hostHeader?: string
}

export interface ApplyProbes {
  /** Default: one probe per listener expected by the php-fpm actions. */
  fastcgi?: FastcgiProbe[]
  http?: HttpProbe[]
}

/** One completed step of a transaction and how long it took on the host. */
export interface StepTiming {
  name: string
  ms: number
}

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
  probes?: ApplyProbes
  /** Skip host-side detection of systemd / SysV / OpenRC / none. */
  serviceManager?: ServiceManagerKind
  /** Bound on waiting for one service action to take effect (default 15000). */
  serviceTimeoutMs?: number
  /** Bound on one probe request (default 10000). */
  probeTimeoutMs?: number
  /** Bound on the whole transaction as seen by the client (default 300000). */
  timeoutMs?: number
  /** How often the host is asked for progress (default 200). */
  pollIntervalMs?: number
  /** PHP CLI used for the FastCGI probe (default `php`). */
  phpCli?: string
  /** Where the journal and the lock live (default /var/lib/fpmfix). */
  stateDir?: string
  onStep?: (step: StepEvent) => void
}

export type ApplyStatus =
  'applied' | 'unchanged' | 'rolled-back' | 'rollback-failed' | 'refused-stale' | 'locked' | 'failed'

/** Who holds (or held) the host lock. */
export interface LockInfo {
  txid: string
  pid: number | undefined
  owner: string
  started: string
  /** The holding process is still running. */
  alive?: boolean
}

export interface ApplyResult {
  status: ApplyStatus
  txid?: string
  /** The step that failed: check, backup, write, validate, action-N, probe, signal-TERM, … */
  failedStep?: string
  /** Output of the failed step (validation errors, the wait that timed out, the probe response). */
  output?: string
  /** Fingerprint keys (paths, state keys) that no longer match the plan. */
  stale?: string[]
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

export type {ServiceActionKind, ServiceTarget}
