import type {FpmLogEvent, NginxErrorEvent} from './log-events.js'
import type {SelinuxMode, ServiceState} from './snapshot.js'

/**
 * Where a FastCGI peer is: a unix socket path or a TCP address (host undefined = all addresses).
 * `path` keeps the spelling the config (or the kernel's socket table) uses; `canonical` is where
 * it resolves on the host (through symlinked directories such as /var/run → /run), for comparing.
 * `v6only` marks an IPv6 wildcard listener that refuses IPv4 (IPV6_V6ONLY, as `ss` shows `[::]`).
 */
export type Address =
  {kind: 'unix'; path: string; canonical?: string} | {kind: 'tcp'; host?: string; port: number; v6only?: boolean}

/** A config value and where it came from: a file:line, or the built-in default. */
export interface Sourced<T> {
  value: T
  source: {file: string; line: number} | 'default'
}

export interface UserFact {
  name: string
  uid: number
  gid: number
  /** Every group id the user is in: primary and supplementary. */
  gids: number[]
}

export interface GroupFact {
  name: string
  gid: number
  members: string[]
}

export interface AclEntry {
  tag: 'user' | 'group' | 'mask' | 'other'
  /** Named entries only; undefined for the owner/owning-group entries. */
  qualifier?: string
  perms: string
}

export interface PathStat {
  path: string
  exists: boolean
  type?: 'socket' | 'directory' | 'file' | 'symlink' | 'other'
  uid?: number
  gid?: number
  owner?: string
  group?: string
  /** Permission bits, e.g. 0o660. */
  mode?: number
  inode?: number
  acl?: AclEntry[]
  error?: string
}

export interface FastcgiSite {
  file: string
  line: number
  server: string
  /** The enclosing server's `listen` directives' arguments. */
  serverListens: string[][]
  location: string
  /** The argument as written: `unix:/run/…`, `127.0.0.1:9000`, `php-fpm`, `$backend`. */
  raw: string
  via: 'direct' | 'upstream' | 'variable'
  upstream?: string
  /**
   * Every address this site can send to (several for an upstream group or a map), where each is written:
   * an upstream `server` line, or the fastcgi_pass itself (for a variable: its value, set elsewhere).
   */
  targets: Array<Address & {file: string; line: number; directive: 'fastcgi_pass' | 'server'; params?: string[]}>
  /** For `fastcgi_pass $var`: the expression and every set/map/geo that gives it a value here. */
  variable?: {
    expr: string
    sources: Array<{
      variable: string
      kind: 'set' | 'map' | 'geo' | 'split_clients'
      file: string
      line: number
      /** What a `set` assigns, as written. */
      value?: string
      /** A map, geo or split_clients block's entries, each with where it is written. */
      entries?: Array<{key: string; value: string; file: string; line: number}>
    }>
  }
  unresolved: boolean
  /**
   * `fastcgi_bind` in force: the source address of nginx's connections to php-fpm. `address` only
   * when it is a literal IP address (not `off`, not a variable).
   */
  bind?: {raw: string; address?: string; file: string; line: number}
  /** The innermost block around fastcgi_pass (location or server): where a new directive goes. */
  block: {file: string; line: number}
  readTimeout: Sourced<number>
  connectTimeout: Sourced<number>
  sendTimeout: Sourced<number>
  bufferSize: Sourced<number>
  buffers: Sourced<{count: number; size: number}>
  busyBuffersSize: Sourced<number | undefined>
}

export interface NginxFacts {
  binary: string
  version?: string
  /** A master runs in this host's mount namespace (see runsHere). */
  running: boolean
  /** Pids of nginx masters in other mount namespaces (containers): seen, but not this host's. */
  elsewhere: number[]
  /** What the service manager and pid file say. */
  service: Pick<ServiceState, 'manager' | 'state' | 'statusOutput' | 'pidFiles'>
  /** `nginx -t` (from -T) result; `unknown` (the reason) when the gather could not run it fully: nothing is claimed. */
  test: {ok: boolean; output: string; unknown?: string}
  workerUser: Sourced<string>
  workerProcessUsers: string[]
  sites: FastcgiSite[]
  errorLogs: string[]
  serviceName: string
  /** When the running workers started (naive host time): log lines older than this predate the live config. */
  generation?: number
  /** Pids of the running master and workers: which log lines the live config wrote. */
  pids: number[]
}

export interface PoolFacts {
  install: string
  name: string
  file: string
  listen: Sourced<Address | undefined>
  listenRaw: string
  user: Sourced<string>
  group: Sourced<string>
  listenOwner: Sourced<string>
  listenGroup: Sourced<string>
  listenMode: Sourced<number>
  aclUsers: Sourced<string[]>
  aclGroups: Sourced<string[]>
  /** listen.allowed_clients: the only client addresses a TCP pool accepts (empty: any). */
  allowedClients: Sourced<string[]>
  backlog: Sourced<number>
  pm: Sourced<string>
  maxChildren: Sourced<number>
  startServers: Sourced<number | undefined>
  minSpare: Sourced<number | undefined>
  maxSpare: Sourced<number | undefined>
  requestTerminateTimeout: Sourced<number>
  /** PHP's own limit: the pool's php_(admin_)value, else the SAPI's php.ini (0 = unlimited). */
  maxExecutionTime?: Sourced<number>
  statusPath?: string
  pingPath?: string
  /** RSS/PSS in KiB of this pool's running workers. */
  workers: Array<{pid: number; rssKb: number; pssKb?: number}>
}

export interface FpmInstallFacts {
  /** The binary path; the install's identity. */
  id: string
  version?: string
  /** e.g. 8.2, for ordering versions. */
  versionKey: number[]
  /** The binary's `-v` disagrees with its layout (see installVersion). */
  versionNote?: string
  serviceName: string
  mainConfig: string
  /** php-fpm's pid file (global `pid`): its directory is the install's runtime directory. */
  pidFile?: {path: string; exists: boolean}
  /** A master runs in this host's mount namespace (see runsHere). */
  running: boolean
  masterPids: number[]
  /** Pids of this binary's masters in other mount namespaces (containers): seen, but not this host's. */
  elsewhere: number[]
  /** `php-fpm -t`; `unknown` (the reason) when the gather could not run it fully: nothing is claimed. */
  test: {ok: boolean; errors: string[]; unknown?: string}
  pools: PoolFacts[]
  errorLogs: string[]
  /**
   * Global `process_control_timeout` in seconds: how long a reload or graceful stop lets busy workers
   * finish. Undefined when written in a way fpmfix does not read (php-fpm's -t judges it).
   */
  processControlTimeout: Sourced<number | undefined>
  /** When the running master/children started (naive host time), as for nginx. */
  generation?: number
}

export interface HostFacts {
  hostname: string
  /** The host's clock read as a naive local time (same scale as log times), if known. */
  now?: number
  initSystem: 'systemd' | 'openrc' | 'sysv' | 'none'
  selinux: SelinuxMode
  nginx?: NginxFacts
  installs: FpmInstallFacts[]
  paths: Map<string, PathStat>
  listeningUnix: Set<string>
  /** Accept queue of each of this host's unix listeners right now (`ss` Recv-Q / Send-Q = backlog). */
  unixQueues: Map<string, {recvQ: number; sendQ: number}>
  /** TCP listeners of the network namespace (host undefined: every address; v6only: `[::]` refusing IPv4). */
  listeningTcp: Array<{
    host?: string
    port: number
    v6only?: boolean
    recvQ: number
    sendQ: number
    /** The programs listening, as `ss -p` names them (empty when not shown). */
    programs: string[]
  }>
  users: Map<string, UserFact>
  groups: Map<string, GroupFact>
  memory: {totalKb?: number; availableKb?: number}
  somaxconn?: number
  cpus?: number
  nginxEvents: NginxErrorEvent[]
  fpmEvents: FpmLogEvent[]
  warnings: string[]
  /** The gather saw every process (as root, or /proc not hidden): "not running" is then a fact. */
  processesVisible: boolean
  /** What the login user could not read that a diagnosis needs (empty as root). */
  unreadable: string[]
}
