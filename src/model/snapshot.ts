/**
 * Everything one read-only gather pass learns about a host, as plain data.
 * Produced by parseGatherOutput (pure); consumed by the nginx / php-fpm
 * parsers (which take the raw strings kept here) and the diagnosis rules.
 */

export type InitSystem = 'systemd' | 'openrc' | 'sysv' | 'none'
export type SelinuxMode = 'enforcing' | 'permissive' | 'disabled' | 'absent'
export type FileType = 'file' | 'directory' | 'symlink' | 'socket' | 'fifo' | 'char-device' | 'block-device' | 'other'

/** stat(2) facts about one path. type/size/mode/owner describe the symlink target when the path is a symlink. */
export interface PathStat {
  path: string
  /** False when the path (or, for a symlink, its target) does not exist. */
  exists: boolean
  type?: FileType
  size?: number
  /** Permission bits as 4 octal digits, e.g. '0660', '2755'. */
  mode?: string
  owner?: string
  uid?: number
  group?: string
  gid?: number
  inode?: number
  isSymlink: boolean
  /** The symlink's own target text, as readlink prints it (may be relative). */
  linkTarget?: string
  /** Fully resolved path (readlink -f). */
  realPath?: string
  /** Whether the gathering user could read it. */
  readable?: boolean
  /** getfacl entries (`user::rw-`, `user:nginx:rw-`, `mask::rw-` …) when getfacl exists on the host. */
  acl?: string[]
  error?: string
}

/** A file whose bytes were read (or fingerprinted) on the host. */
export interface RawFile extends PathStat {
  readable: boolean
  /** sha256 of the whole file on the host (even when content was truncated); apply compares it. */
  sha256?: string
  /** UTF-8 decoded content; absent when not read (unreadable, not a regular file, or fingerprint only). */
  content?: string
  /** Content was cut at the size cap. */
  truncated?: boolean
}

/** A command whose stdout and stderr were captured together. */
export interface CommandOutput {
  /** Exit status; null when it could not be determined. */
  code: number | null
  output: string
  truncated: boolean
}

/** A command whose stdout and stderr were captured apart. */
export interface CommandResult {
  /** Exit status; null when it could not be determined. */
  code: number | null
  stdout: string
  stderr: string
  truncated: boolean
}

export type ProcessKind = 'nginx-master' | 'nginx-worker' | 'nginx-helper' | 'fpm-master' | 'fpm-worker' | 'other'

export interface ProcessInfo {
  pid: number
  ppid?: number
  kind: ProcessKind
  /** Kernel command name (/proc/PID/comm), e.g. 'php-fpm8.2', 'nginx'. */
  comm: string
  /** Process title, e.g. 'php-fpm: pool www', 'nginx: master process /usr/sbin/nginx'. */
  cmdline: string
  /** Executable path when /proc/PID/exe was readable. */
  exe?: string
  /** Effective uid/gid. */
  uid?: number
  gid?: number
  user?: string
  group?: string
  /** Supplementary group ids as the kernel sees them for this process. */
  groups: number[]
  rssKb?: number
  /** Seconds since the process started (`ps -o etimes`), when ps supports it. */
  elapsedSeconds?: number
  /** Proportional set size from smaps_rollup (shared pages split between sharers); needs same uid or root. */
  pssKb?: number
  /** For 'php-fpm: pool NAME' workers. */
  fpmPool?: string
  /** For 'php-fpm: master process (PATH)'. */
  fpmConfigPath?: string
  /**
   * Runs in another mount namespace than the gather (a container or sandbox): it sees other
   * files and sockets, so it is listed but never attached to this host's nginx or php-fpm.
   */
  otherNamespace: boolean
}

/** One row of `ps -eo pid,ppid,user,group,rss,args` (every process on the host). */
export interface PsEntry {
  pid: number
  ppid: number
  user: string
  group: string
  rssKb: number
  args: string
}

export interface PidFileState {
  path: string
  exists: boolean
  pid?: number
  /** A process with that pid exists. */
  alive?: boolean
  comm?: string
}

export interface ServiceState {
  name: string
  manager: InitSystem
  /** What the service manager says: true running, false not running, undefined not asked / unknown. */
  active?: boolean
  /** False when the manager does not know the service (systemd LoadState=not-found, no init script). */
  known?: boolean
  /** systemd ActiveState, or 'running' / 'stopped' / 'unknown' derived from a status exit code. */
  state?: string
  subState?: string
  loadState?: string
  unitFileState?: string
  mainPid?: number
  execMainStatus?: number
  restarts?: number
  fragmentPath?: string
  execStart?: string
  /**
   * Exit code and output of `service NAME status` / `rc-service NAME status`. The gather no longer
   * runs init scripts (their status says what the pidfiles and /proc say), so these stay unset.
   */
  statusCode?: number | null
  statusOutput?: string
  pidFiles: PidFileState[]
  /** Any evidence of a live daemon: manager active, a live pidfile, or a master process. */
  running: boolean
}

export interface NginxAbsent {
  present: false
}

export interface NginxInfo {
  present: true
  binary: string
  /** e.g. '1.22.1' */
  version?: string
  /** `nginx -V` output (nginx prints it on stderr). */
  buildInfo: CommandOutput
  /** Parsed `configure arguments:` (`--prefix=/etc/nginx` → prefix: '/etc/nginx', flags → true). */
  configureArgs: Record<string, string | true>
  /** `-c` / `-p` of the running master when it had them (the dump below used the same). */
  runningConfigPath?: string
  runningPrefix?: string
  /** `nginx -T`: stdout is the config dump, stderr the test verdict, code its exit status. */
  configDump: CommandResult
  /** Every file the dump names (`# configuration file X:`), fingerprinted, no content (it is in the dump). */
  configFiles: RawFile[]
  processes: ProcessInfo[]
  service: ServiceState
}

export type FpmConfigSource = 'tt' | 'master' | 'tt-error' | 'layout'

export interface FpmInstall {
  binary: string
  realBinary?: string
  /**
   * The version the binary carries, `PHP 8.2.36` (PHP's X-Powered-By string in the binary, read
   * without starting PHP), or for a binary without that string the first line of `-n -v`, e.g.
   * 'PHP 8.2.36 (fpm-fcgi) (built: …)'.
   */
  version?: string
  /** e.g. '8.2.36' */
  versionNumber?: string
  serviceName: string
  /** Install prefix guessed from the binary path (relative includes resolve against it). */
  prefix: string
  mainConfigPath: string
  /** Where mainConfigPath came from: the -tt success line, the running master, a -tt error, or the distro default. */
  mainConfigSource: FpmConfigSource
  /** Config path of a running master of this binary, when one runs. */
  runningConfigPath?: string
  /** `php-fpm -tt` output (it all goes to stderr) and exit status; `-t` succeeds exactly when this code is 0. */
  tt: CommandOutput
  /** Main config first, then every included file in include order. */
  files: RawFile[]
  /** php.ini this SAPI loads. */
  phpIni?: RawFile
  /** Additional scanned .ini files that mention max_execution_time. */
  extraIni: RawFile[]
  processes: ProcessInfo[]
  service: ServiceState
}

export interface ListenerProcess {
  name: string
  pid: number
  fd: number
}

export interface UnixListener {
  path: string
  /** Connections waiting to be accepted right now (undefined when only /proc/net/unix was available). */
  recvQ?: number
  /** Backlog limit. */
  sendQ?: number
  inode?: number
  processes: ListenerProcess[]
  /** Every owning process is in another mount namespace: the path is a container's, not this host's file. */
  otherNamespace: boolean
}

export interface TcpListener {
  address: string
  port: number
  recvQ?: number
  sendQ?: number
  processes: ListenerProcess[]
}

export interface Listeners {
  source: 'ss' | 'proc' | 'none'
  unix: UnixListener[]
  tcp: TcpListener[]
}

export type LogSource = 'nginx' | 'fpm' | 'fpm-slowlog' | 'fpm-php'

export interface LogTail {
  path: string
  source: LogSource
  exists: boolean
  readable: boolean
  /** Size of the whole file in bytes. */
  size?: number
  /** The tail (last 500 lines, at most 256 KiB) is shorter than the file. */
  truncated: boolean
  text?: string
  error?: string
}

/** A log destination that is not a file to read: stderr, syslog:…, /dev/stderr, /proc/self/fd/2. */
export interface LogTarget {
  target: string
  source: LogSource
}

export interface PasswdEntry {
  name: string
  uid: number
  gid: number
  gecos: string
  home: string
  shell: string
}

export interface GroupEntry {
  name: string
  gid: number
  members: string[]
}

export interface SocketStat extends PathStat {
  /** Who names this path: nginx config, php-fpm config, or found by scanning /run. */
  referencedBy: Array<'nginx' | 'fpm' | 'scan'>
}

/** Who holds the host's fpmfix lock (src/protocol/README.md, "Journal"). */
export interface JournalLock {
  txid: string
  pid?: number
  owner: string
  started: string
  /** The holding process is still running (false: a dead transaction's lock, which the next apply recovers). */
  alive?: boolean
}

/** One fpmfix transaction as its journal shows it. */
export interface JournalTransaction {
  txid: string
  /** Its process is running now. */
  alive: boolean
  /** Complete lines of its state file: the steps done, `rollback` when one started, then the final state. */
  state: string[]
  /** The final state (committed, rolled-back …), once the transaction is over. */
  final?: string
  /** The step that failed, when one did. */
  failedStep?: string
}

/** The fpmfix journal on the host: the lock while held, and the newest transaction that did more than refuse. */
export interface HostJournal {
  lock?: JournalLock
  latest?: JournalTransaction
}

export interface HostSnapshot {
  scriptVersion: number
  /** Host clock, ISO 8601 UTC. */
  collectedAt: string
  /** Host wall clock in its own time zone, 'YYYY-MM-DD HH:MM:SS': the frame nginx and php-fpm log lines are stamped in. */
  localTime?: string
  /** Host time zone offset as date +%z prints it, e.g. '+0100'. */
  utcOffset?: string
  /** Wall time of the gather exec, when known. */
  durationMs?: number
  hostname: string
  os: {id?: string; idLike: string[]; versionId?: string; prettyName?: string; kernel?: string; arch?: string}
  initSystem: InitSystem
  /** Uid the script ran as (0 when become worked). */
  uid: number
  user?: string
  selinux: SelinuxMode
  hasGetfacl: boolean
  /** Which helper commands exist on the host (systemctl, ss, getfacl, sha256sum …). */
  tools: Record<string, boolean>
  nginx: NginxInfo | NginxAbsent
  fpmInstalls: FpmInstall[]
  /** nginx first (when present), then one per distinct php-fpm service name. */
  services: ServiceState[]
  /** Every unix socket path a config names or /run holds. */
  sockets: SocketStat[]
  /** Every parent directory of those sockets, up to '/'. */
  dirs: PathStat[]
  listeners: Listeners
  memory: {memTotalKb?: number; memAvailableKb?: number; swapTotalKb?: number; swapFreeKb?: number}
  cpus?: number
  somaxconn?: number
  loadAverage?: [number, number, number]
  /** nginx and php-fpm processes with /proc details. */
  processes: ProcessInfo[]
  /** Every process (ps), for memory sizing. */
  processTable: PsEntry[]
  users: PasswdEntry[]
  groups: GroupEntry[]
  logs: LogTail[]
  logTargets: LogTarget[]
  /**
   * Canonical state lines (`state_line`, src/protocol/README.md "State keys") by state key, for
   * every service found (`service:NAME`) and every unix socket a config names or /run holds
   * (`socket:PATH`): what a plan's state fingerprints are made of. Absent when not read.
   */
  states?: Record<string, string>
  /** The fpmfix journal, read in the same run; absent when not read. */
  journal?: HostJournal
  /** Problems with the gathering itself (truncation, unreadable files, missing sections), not findings. */
  warnings: string[]
  /** The script ran to its end (the output was not cut short). */
  complete: boolean
}
