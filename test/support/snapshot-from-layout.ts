import {existsSync, lstatSync, readFileSync, readdirSync, readlinkSync, statSync} from 'node:fs'
import {join, posix} from 'node:path'
import {fileURLToPath} from 'node:url'

import {
  commentOutDirective,
  editTarget,
  effectivePool,
  parseFpmFiles,
  parseFpmTt,
  setPoolDirective,
  type EffectivePool,
  type FpmConfigSource,
  type FpmEffectiveConfig,
} from '../../src/fpm/index.js'
import type {Address} from '../../src/model/facts.js'
import type {
  FpmInstall,
  GroupEntry,
  HostSnapshot,
  InitSystem,
  NginxInfo,
  PasswdEntry,
  PathStat,
  ProcessInfo,
  RawFile,
  ServiceState,
  SocketStat,
  TcpListener,
  UnixListener,
} from '../../src/model/snapshot.js'
import {sha256} from './plan-document.js'
import {
  findFastcgiPasses,
  formatNginxDump,
  nginxErrorLogs,
  nginxWorkerUser,
  parseNginxDump,
  splitNginxDump,
  type LiteralTarget,
  type NginxConfig,
} from '../../src/nginx/index.js'

/*
 * A HostSnapshot as the gather would produce it on a host built from one fixture layout:
 * everything that follows from the configs (sockets and their owners, listeners, worker
 * users and counts, accounts, log paths) is derived by parsing the fixture files with the
 * project's own parsers; only what no config says (binary and service names, versions,
 * pids, memory) comes from the distro table below.
 */

export const FIXTURES = fileURLToPath(new URL('../../fixtures/', import.meta.url))

export type LayoutName =
  | 'debian-php82'
  | 'debian-multi-php'
  | 'rhel-remi'
  | 'alpine-php82'
  | 'docker-php-fpm'
  | 'apps'
  | 'debian-php-upgrade'
  | 'rhel-remi-multi'
  | 'alpine-multi-php'

/** The distro layouts as packaged, one PHP site each: healthy as they come. */
export const PACKAGED_LAYOUTS = [
  'debian-php82',
  'debian-multi-php',
  'rhel-remi',
  'alpine-php82',
  'docker-php-fpm',
] as const

interface InstallSpec {
  serviceName: string
  binary: string
  versionNumber: string
  mainConfigPath: string
  prefix: string
  /** `php-fpm -tt` captured on this tree (file in the fixture dir); absent: the gather got no verdict. */
  ttCapture?: string
  /** The distro's error_log when neither the -tt dump nor the files name one. */
  defaultErrorLog: string
}

interface LayoutSpec {
  os: HostSnapshot['os']
  initSystem: InitSystem
  nginxVersion: string
  /** The fixture tree the php-fpm installs are read from. */
  fpmLayout: string
  installs: InstallSpec[]
  /** Symlinks to a pool socket the packaging maintains (Debian's /run/php/php-fpm.sock alternative). */
  socketLinks?: Record<string, string>
}

const DEBIAN_OS = {id: 'debian', idLike: [], versionId: '12', prettyName: 'Debian GNU/Linux 12 (bookworm)'}
const DEBIAN_82: InstallSpec = {
  serviceName: 'php8.2-fpm',
  binary: '/usr/sbin/php-fpm8.2',
  versionNumber: '8.2.36',
  mainConfigPath: '/etc/php/8.2/fpm/php-fpm.conf',
  prefix: '/usr',
  ttCapture: 'php-fpm-tt.txt',
  defaultErrorLog: '/var/log/php8.2-fpm.log',
}

const RHEL_OS = {
  id: 'rocky',
  idLike: ['rhel', 'centos', 'fedora'],
  versionId: '9.4',
  prettyName: 'Rocky Linux 9.4 (Blue Onyx)',
}

const DEBIAN_81: InstallSpec = {
  ...DEBIAN_82,
  serviceName: 'php8.1-fpm',
  binary: '/usr/sbin/php-fpm8.1',
  versionNumber: '8.1.31',
  mainConfigPath: '/etc/php/8.1/fpm/php-fpm.conf',
  ttCapture: 'php-fpm-tt-8.1.txt',
  defaultErrorLog: '/var/log/php8.1-fpm.log',
}

/** php8.2-fpm's systemd unit (ExecStartPost) links the default socket name to the www pool's socket. */
const DEBIAN_LINKS = {'/run/php/php-fpm.sock': '/run/php/php8.2-fpm.sock'}

const DEBIAN_PHP82: LayoutSpec = {
  os: DEBIAN_OS,
  initSystem: 'systemd',
  nginxVersion: '1.22.1',
  fpmLayout: 'debian-php82',
  installs: [DEBIAN_82],
  socketLinks: DEBIAN_LINKS,
}

const LAYOUTS: Record<LayoutName, LayoutSpec> = {
  'debian-php82': DEBIAN_PHP82,
  'debian-multi-php': {
    os: DEBIAN_OS,
    initSystem: 'systemd',
    nginxVersion: '1.22.1',
    fpmLayout: 'debian-multi-php',
    installs: [DEBIAN_81, {...DEBIAN_82, ttCapture: 'php-fpm-tt-8.2.txt'}],
  },
  'rhel-remi': {
    os: RHEL_OS,
    initSystem: 'systemd',
    nginxVersion: '1.20.1',
    fpmLayout: 'rhel-remi',
    installs: [
      {
        serviceName: 'php-fpm',
        binary: '/usr/sbin/php-fpm',
        versionNumber: '8.2.36',
        mainConfigPath: '/etc/php-fpm.conf',
        prefix: '/usr',
        ttCapture: 'php-fpm-tt.txt',
        defaultErrorLog: '/var/log/php-fpm/error.log',
      },
    ],
  },
  'alpine-php82': {
    os: {id: 'alpine', idLike: [], versionId: '3.20.3', prettyName: 'Alpine Linux v3.20'},
    initSystem: 'openrc',
    nginxVersion: '1.26.2',
    fpmLayout: 'alpine-php82',
    installs: [
      {
        serviceName: 'php-fpm82',
        binary: '/usr/sbin/php-fpm82',
        versionNumber: '8.2.36',
        mainConfigPath: '/etc/php82/php-fpm.conf',
        prefix: '/usr',
        defaultErrorLog: '/var/log/php82/error.log',
      },
    ],
  },
  'docker-php-fpm': {
    os: DEBIAN_OS,
    initSystem: 'none',
    nginxVersion: '1.27.3',
    fpmLayout: 'docker-php-fpm',
    installs: [
      {
        serviceName: 'php-fpm',
        binary: '/usr/local/sbin/php-fpm',
        versionNumber: '8.2.36',
        mainConfigPath: '/usr/local/etc/php-fpm.conf',
        prefix: '/usr/local',
        ttCapture: 'php-fpm-tt.txt',
        defaultErrorLog: '/proc/self/fd/2',
      },
    ],
  },
  'debian-php-upgrade': {
    os: DEBIAN_OS,
    initSystem: 'systemd',
    nginxVersion: '1.22.1',
    // No -tt captures in this tree: php-fpm is read from its files.
    fpmLayout: 'debian-php-upgrade',
    installs: [DEBIAN_81, DEBIAN_82],
  },
  'rhel-remi-multi': {
    os: RHEL_OS,
    initSystem: 'systemd',
    nginxVersion: '1.20.1',
    fpmLayout: 'rhel-remi-multi',
    installs: ['7.4.33', '8.1.31'].map((version) => {
      const scl = `php${version.split('.').slice(0, 2).join('')}`
      return {
        serviceName: `${scl}-php-fpm`,
        binary: `/opt/remi/${scl}/root/usr/sbin/php-fpm`,
        versionNumber: version,
        mainConfigPath: `/etc/opt/remi/${scl}/php-fpm.conf`,
        prefix: `/opt/remi/${scl}/root/usr`,
        defaultErrorLog: `/var/opt/remi/${scl}/log/php-fpm/error.log`,
      }
    }),
  },
  'alpine-multi-php': {
    os: {id: 'alpine', idLike: [], versionId: '3.20.3', prettyName: 'Alpine Linux v3.20'},
    initSystem: 'openrc',
    nginxVersion: '1.26.2',
    fpmLayout: 'alpine-multi-php',
    installs: ['8.1.31', '8.2.36'].map((version) => {
      const short = version.split('.').slice(0, 2).join('')
      return {
        serviceName: `php-fpm${short}`,
        binary: `/usr/sbin/php-fpm${short}`,
        versionNumber: version,
        mainConfigPath: `/etc/php${short}/php-fpm.conf`,
        prefix: '/usr',
        defaultErrorLog: `/var/log/php${short}/error.log`,
      }
    }),
  },
  // The real-world site configs on Debian's php8.2-fpm host.
  apps: DEBIAN_PHP82,
}

const BASE_USERS: PasswdEntry[] = [
  {name: 'root', uid: 0, gid: 0, gecos: 'root', home: '/root', shell: '/bin/bash'},
  {name: 'www-data', uid: 33, gid: 33, gecos: 'www-data', home: '/var/www', shell: '/usr/sbin/nologin'},
  {name: 'apache', uid: 48, gid: 48, gecos: 'Apache', home: '/usr/share/httpd', shell: '/sbin/nologin'},
  {name: 'nginx', uid: 101, gid: 101, gecos: 'nginx user', home: '/nonexistent', shell: '/usr/sbin/nologin'},
  {name: 'nobody', uid: 65534, gid: 65534, gecos: 'nobody', home: '/nonexistent', shell: '/usr/sbin/nologin'},
]
const BASE_GROUPS: GroupEntry[] = [
  {name: 'root', gid: 0, members: []},
  {name: 'www-data', gid: 33, members: []},
  {name: 'apache', gid: 48, members: []},
  {name: 'nginx', gid: 101, members: []},
  {name: 'nogroup', gid: 65534, members: []},
]

export interface FpmDirectiveChange {
  /** The install's service name; the only install when omitted. */
  service?: string
  pool: string
  key: string
  /** The value as php-fpm's -tt dump spells it (`2s`, `0600`, `apache`); undefined comments the directive out. */
  value: string | undefined
}

export interface LayoutOptions {
  /** Read the php-fpm installs from another fixture tree (e.g. 'fpm-invalid' under Debian's nginx). */
  fpmLayout?: string
  /** Keep only these installs (service names): the others are not installed on the host. */
  installs?: string[]
  /** Services (nginx or php-fpm service names) that are not running: no processes, no listeners. */
  stopped?: string[]
  /** A stopped php-fpm left its socket files behind (killed, not stopped cleanly). */
  staleSockets?: boolean
  /** Rewrite config files (nginx or php-fpm, by host path) before anything is derived from them. */
  files?: Record<string, (text: string) => string>
  /** php-fpm config files the layout does not have (a pool file a plan created), by host path. */
  addFiles?: Record<string, string>
  /** Change pool directives the way an admin would: in the file, and so in php-fpm's -tt dump. */
  fpm?: FpmDirectiveChange[]
  /** Replace an install's -tt capture (by service name), e.g. a failing `php-fpm -t`. */
  tt?: Record<string, {code: number | null; output: string}>
  /** `nginx -T` failing: exit status and stderr; stdout is then empty, as nginx dumps only a valid config. */
  nginxTest?: {code: number; stderr: string}
  /** Text of nginx's main error log. */
  nginxLog?: string
  /** Text of php-fpm's error log, by service name (a string: the first install's). */
  fpmLog?: string | Record<string, string>
  /** Host clock, naive local time `YYYY-MM-DD HH:MM:SS`. */
  localTime?: string
  memory?: HostSnapshot['memory']
  somaxconn?: number
  /** Memory of each php-fpm worker. */
  workerKb?: {rss: number; pss?: number}
  /** The php-fpm master's pid, by service name. */
  masterPids?: Record<string, number>
  /** Seconds since a service's processes started (nginx or php-fpm service name); 3 days when not given. */
  uptimeSeconds?: Record<string, number>
  /** Seconds since a php-fpm install's workers started, when younger than its master (respawned, spawned on demand). */
  workerUptimeSeconds?: Record<string, number>
  /** Last word: change the built snapshot in place. */
  edit?: (snapshot: HostSnapshot) => void
}

export const DEFAULT_LOCAL_TIME = '2026-11-23 21:45:00'

export {sha256}

/** A snapshot of a host set up like the fixture layout, with the given departures from it. */
export function snapshotFromLayout(layout: LayoutName, options: LayoutOptions = {}): HostSnapshot {
  const spec = LAYOUTS[layout]
  const fpmLayout = options.fpmLayout ?? spec.fpmLayout
  const specs = spec.installs.filter(
    (install) => options.installs === undefined || options.installs.includes(install.serviceName),
  )
  const fpmTree = applyFileEdits(readTree(fpmLayout), options.files)
  for (const [path, text] of Object.entries(options.addFiles ?? {})) fpmTree.set(path, text)
  const captures = new Map(
    specs.map((install) => [install.serviceName, options.tt?.[install.serviceName] ?? ttCaptureOf(fpmLayout, install)]),
  )
  for (const change of options.fpm ?? []) applyFpmChange(change, specs, fpmTree, captures)

  const dump = nginxDump(layout, options.files)
  const nginxConfig = parseNginxDump(dump)
  const installs = specs.map((install) => readInstall(install, fpmTree, captures.get(install.serviceName)!))
  const accounts = accountsFor(nginxConfig, installs)
  const nginx = nginxInfo(layout, dump, nginxConfig, accounts, options)
  const fpm = fpmState(installs, spec.initSystem, accounts, options)
  addNginxSockets(fpm.sockets, nginxConfig, spec.socketLinks ?? {})
  if (nginx.service.running)
    fpm.tcp.unshift({
      address: '0.0.0.0',
      port: 80,
      recvQ: 0,
      sendQ: 511,
      processes: nginx.processes.map((process) => ({name: 'nginx', pid: process.pid, fd: 6})),
    })

  const localTime = options.localTime ?? DEFAULT_LOCAL_TIME
  const processes = [...nginx.processes, ...fpm.installs.flatMap((install) => install.processes)]
  const snapshot: HostSnapshot = {
    scriptVersion: 1,
    collectedAt: `${localTime.replace(' ', 'T')}Z`,
    localTime,
    utcOffset: '+0000',
    hostname: layout,
    os: spec.os,
    initSystem: spec.initSystem,
    uid: 0,
    user: 'root',
    selinux: spec.os.id === 'rocky' ? 'enforcing' : 'absent',
    hasGetfacl: true,
    tools: {
      systemctl: spec.initSystem === 'systemd',
      ss: true,
      getfacl: true,
      sha256sum: true,
      getent: true,
      stat: true,
    },
    nginx,
    fpmInstalls: fpm.installs,
    services: [nginx.service, ...fpm.installs.map((install) => install.service)],
    sockets: [...fpm.sockets.values()],
    dirs: parentDirs([...fpm.sockets.keys()]),
    listeners: {source: 'ss', unix: fpm.unix, tcp: fpm.tcp},
    memory: options.memory ?? {memTotalKb: 4_028_380, memAvailableKb: 2_871_204, swapTotalKb: 0, swapFreeKb: 0},
    cpus: 2,
    somaxconn: options.somaxconn ?? DEFAULT_SOMAXCONN,
    loadAverage: [0.12, 0.09, 0.05],
    processes,
    processTable: processes.map((process) => ({
      pid: process.pid,
      ppid: process.ppid ?? 1,
      user: process.user ?? 'root',
      group: process.group ?? 'root',
      rssKb: process.rssKb ?? 0,
      args: process.cmdline,
    })),
    users: accounts.users,
    groups: accounts.groups,
    logs: [
      nginxLog(nginxConfig, options.nginxLog),
      ...installs.flatMap((install, index) =>
        fpmLogTail(install, fpmLogText(options.fpmLog, install.spec.serviceName, index)),
      ),
    ],
    logTargets: installs
      .filter((install) => !install.errorLog.startsWith('/var/'))
      .map((install) => ({target: install.errorLog, source: 'fpm' as const})),
    warnings: [],
    complete: true,
  }
  options.edit?.(snapshot)
  return snapshot
}

const DEFAULT_SOMAXCONN = 4096
const THREE_DAYS = 3 * 86_400

interface Accounts {
  users: PasswdEntry[]
  groups: GroupEntry[]
}

function uptimeOf(options: LayoutOptions, service: string): number {
  return options.uptimeSeconds?.[service] ?? THREE_DAYS
}

function nginxInfo(
  layout: LayoutName,
  dump: string,
  config: NginxConfig,
  accounts: Accounts,
  options: LayoutOptions,
): NginxInfo {
  const spec = LAYOUTS[layout]
  const running = !(options.stopped ?? []).includes('nginx')
  const workerUser = nginxWorkerUser(config).user
  const processes = running
    ? nginxProcessList(
        workerUser,
        accounts.users.find((entry) => entry.name === workerUser),
        uptimeOf(options, 'nginx'),
      )
    : []
  const failed = options.nginxTest
  return {
    present: true,
    binary: '/usr/sbin/nginx',
    version: spec.nginxVersion,
    buildInfo: {code: 0, output: `nginx version: nginx/${spec.nginxVersion}`, truncated: false},
    configureArgs: {'conf-path': '/etc/nginx/nginx.conf'},
    configDump: failed
      ? {code: failed.code, stdout: '', stderr: failed.stderr, truncated: false}
      : {
          code: 0,
          stdout: dump,
          stderr:
            'nginx: the configuration file /etc/nginx/nginx.conf syntax is ok\nnginx: configuration file /etc/nginx/nginx.conf test is successful\n',
          truncated: false,
        },
    configFiles: failed ? [] : splitNginxDump(dump).map((file) => nginxRawFile(layout, file.path, file.content)),
    processes,
    service: serviceState('nginx', spec.initSystem, running, processes[0]?.pid),
  }
}

/** The installs with their processes, and the sockets and listeners their pools leave on the host. */
function fpmState(installs: ParsedInstall[], initSystem: InitSystem, accounts: Accounts, options: LayoutOptions) {
  const somaxconn = options.somaxconn ?? DEFAULT_SOMAXCONN
  const state = {
    installs: [] as FpmInstall[],
    sockets: new Map<string, SocketStat>(),
    unix: [] as UnixListener[],
    tcp: [] as TcpListener[],
  }
  for (const [index, install] of installs.entries()) {
    const service = install.spec.serviceName
    const running = !(options.stopped ?? []).includes(service)
    const masterPid = options.masterPids?.[service] ?? 2000 + 100 * index
    const ages = {
      master: uptimeOf(options, service),
      workers: options.workerUptimeSeconds?.[service] ?? uptimeOf(options, service),
    }
    const processes = running
      ? fpmProcessList(install, masterPid, options.workerKb ?? {rss: 49_152, pss: 21_504}, accounts.users, ages)
      : []
    const listenerProcesses = processes.map((process) => ({
      name: process.comm,
      pid: process.pid,
      fd: process.kind === 'fpm-master' ? 8 : 6,
    }))
    for (const pool of install.pools) {
      const listen = pool.listen.value
      if (listen === undefined) continue
      const backlog = pool.listenBacklog.value === -1 ? somaxconn : Math.min(pool.listenBacklog.value, somaxconn)
      if (listen.kind === 'tcp') {
        if (running)
          state.tcp.push({
            address: listen.host ?? '*',
            port: listen.port,
            recvQ: 0,
            sendQ: backlog,
            processes: listenerProcesses,
          })
        continue
      }
      const exists = running || options.staleSockets === true
      state.sockets.set(
        listen.path,
        exists ? socketStat(listen.path, pool, accounts) : absentSocket(listen.path, ['fpm']),
      )
      if (running)
        state.unix.push({
          path: listen.path,
          recvQ: 0,
          sendQ: backlog,
          inode: 40_000 + state.unix.length,
          processes: listenerProcesses,
          otherNamespace: false,
        })
    }
    state.installs.push(fpmInstallOf(install, running, processes, initSystem, masterPid))
  }
  return state
}

/** The unix sockets nginx names, stat'ed as the gather does: through symlinks to a pool's socket when there is one. */
function addNginxSockets(sockets: Map<string, SocketStat>, config: NginxConfig, links: Record<string, string>): void {
  for (const path of nginxUnixTargets(config)) {
    const known = sockets.get(path)
    const link = links[hostRealPath(path)]
    const resolved = link ?? hostRealPath(path)
    const target = sockets.get(resolved) ?? [...sockets.values()].find((socket) => socket.realPath === resolved)
    if (known) known.referencedBy = [...new Set([...known.referencedBy, 'nginx' as const])]
    else if (target?.exists)
      sockets.set(path, {
        ...target,
        path,
        isSymlink: link !== undefined,
        ...(link === undefined ? {} : {linkTarget: link}),
        referencedBy: ['nginx'],
      })
    else sockets.set(path, absentSocket(path, ['nginx']))
  }
}

/** The socket stat of `path` in a snapshot, to change it in place (chown, chmod, remove). */
export function socketIn(snapshot: HostSnapshot, path: string): SocketStat {
  const socket = snapshot.sockets.find((entry) => entry.path === path)
  if (!socket)
    throw new Error(
      `no socket ${path} in the snapshot (have ${snapshot.sockets.map((entry) => entry.path).join(', ')})`,
    )
  return socket
}

export function dirIn(snapshot: HostSnapshot, path: string): PathStat {
  const dir = snapshot.dirs.find((entry) => entry.path === path)
  if (!dir) throw new Error(`no directory ${path} in the snapshot`)
  return dir
}

/** Owner, group and mode of a stat, with ids from the snapshot's accounts. */
export function chown(snapshot: HostSnapshot, stat: PathStat, owner: string, group: string, mode: string): void {
  const uid = snapshot.users.find((entry) => entry.name === owner)?.uid
  const gid = snapshot.groups.find((entry) => entry.name === group)?.gid
  if (uid === undefined || gid === undefined) throw new Error(`unknown account ${owner}:${group}`)
  Object.assign(stat, {owner, uid, group, gid, mode, acl: minimalAcl(mode)})
}

/** The config files of a fixture layout as the host has them, by host path. */
export function readTree(layout: string): Map<string, string> {
  const base = join(FIXTURES, layout)
  const tree = new Map<string, string>()
  for (const root of ['etc', 'usr']) {
    const dir = join(base, root)
    if (!existsSync(dir)) continue
    for (const path of walk(dir)) {
      const hostPath = path.slice(base.length)
      if (!hostPath.startsWith('/etc/nginx/')) tree.set(hostPath, readFileSync(path, 'utf8'))
    }
  }
  return tree
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? walk(path) : [path]
  })
}

function applyFileEdits(tree: Map<string, string>, edits: LayoutOptions['files']): Map<string, string> {
  for (const [path, edit] of Object.entries(edits ?? {})) {
    const text = tree.get(path)
    if (text !== undefined) tree.set(path, edit(text))
  }
  return tree
}

function ttCaptureOf(layout: string, install: InstallSpec): {code: number | null; output: string} {
  const path = install.ttCapture === undefined ? undefined : join(FIXTURES, layout, install.ttCapture)
  if (path === undefined || !existsSync(path)) return {code: null, output: ''}
  const output = readFileSync(path, 'utf8')
  // php-fpm exits 78 (EX_CONFIG) when the test fails; the capture's own verdict says which.
  return {code: /test is successful/.test(output) ? 0 : 78, output}
}

/** Change one pool directive in its file (with the project's editor) and in the -tt dump. */
function applyFpmChange(
  change: FpmDirectiveChange,
  specs: InstallSpec[],
  tree: Map<string, string>,
  captures: Map<string, {code: number | null; output: string}>,
): void {
  const install = change.service === undefined ? specs[0] : specs.find((spec) => spec.serviceName === change.service)
  if (!install) throw new Error(`no install ${change.service ?? ''} in this layout`)
  const source = parseFpmFiles(filesOf(tree), install.mainConfigPath, {prefix: install.prefix})
  const target = editTarget(source, change.pool, change.key)
  const text = tree.get(target.file)!
  if (change.value === undefined) {
    if (target.line === undefined) throw new Error(`[${change.pool}] ${change.key} is not set in the files`)
    tree.set(target.file, commentOutDirective(text, target.line))
  } else {
    tree.set(
      target.file,
      setPoolDirective(text, {
        poolSection: target.poolSection,
        key: change.key,
        value: change.value,
        ...(target.line === undefined ? {} : {line: target.line}),
      }),
    )
  }
  const capture = captures.get(install.serviceName)!
  if (capture.output !== '')
    capture.output = setTtValue(capture.output, change.pool, change.key, change.value ?? 'undefined')
}

function setTtValue(output: string, pool: string, key: string, value: string): string {
  const lines = output.split('\n')
  const header = lines.findIndex((line) => line.endsWith(`NOTICE: [${pool}]`))
  if (header === -1) return output
  const prefix = `\t${key} = `
  for (let index = header + 1; index < lines.length && !/NOTICE: \[/.test(lines[index]!); index++) {
    const at = lines[index]!.indexOf(`NOTICE: ${prefix}`)
    if (at !== -1) {
      lines[index] = `${lines[index]!.slice(0, at)}NOTICE: ${prefix}${value}`
      return lines.join('\n')
    }
  }
  throw new Error(`the -tt dump of [${pool}] has no ${key}`)
}

function filesOf(tree: Map<string, string>): Array<{path: string; content: string}> {
  return [...tree].map(([path, content]) => ({path, content}))
}

function nginxDump(layout: LayoutName, edits: LayoutOptions['files']): string {
  const files = splitNginxDump(readFileSync(join(FIXTURES, layout, 'nginx-T.txt'), 'utf8'))
  return formatNginxDump(
    files.map((file) => ({path: file.path, content: edits?.[file.path]?.(file.content) ?? file.content})),
  )
}

function nginxRawFile(layout: LayoutName, path: string, content: string): RawFile {
  const onDisk = join(FIXTURES, layout, path)
  const link = existsSync(onDisk) && lstatSync(onDisk).isSymbolicLink() ? readlinkSync(onDisk) : undefined
  const realPath = link === undefined ? path : posix.resolve(posix.dirname(path), link)
  return {
    ...fileStat(path, content),
    isSymlink: link !== undefined,
    ...(link === undefined ? {} : {linkTarget: link}),
    realPath,
    sha256: sha256(content),
  }
}

function fileStat(path: string, content: string): RawFile {
  return {
    path,
    exists: true,
    type: 'file',
    size: Buffer.byteLength(content),
    mode: '0644',
    owner: 'root',
    uid: 0,
    group: 'root',
    gid: 0,
    isSymlink: false,
    realPath: path,
    readable: true,
  }
}

interface ParsedInstall {
  spec: InstallSpec
  files: RawFile[]
  source: FpmConfigSource
  tt: FpmEffectiveConfig | undefined
  capture: {code: number | null; output: string}
  pools: EffectivePool[]
  errorLog: string
}

function readInstall(
  spec: InstallSpec,
  tree: Map<string, string>,
  capture: {code: number | null; output: string},
): ParsedInstall {
  const source = parseFpmFiles(filesOf(tree), spec.mainConfigPath, {prefix: spec.prefix})
  let tt: FpmEffectiveConfig | undefined
  try {
    tt = capture.output === '' ? undefined : parseFpmTt(capture.output)
  } catch {
    tt = undefined
  }
  const names = tt?.ok ? tt.pools.map((pool) => pool.name) : source.pools
  const pools = names.map((name) =>
    effectivePool(source, tt?.ok ? tt : undefined, name, {phpVersion: spec.versionNumber}),
  )
  const files = source.files.map((path) => ({
    ...fileStat(path, tree.get(path)!),
    content: tree.get(path)!,
    sha256: sha256(tree.get(path)!),
    truncated: false,
  }))
  const fromFiles = source.directives
    .filter((directive) => directive.section === 'global' && directive.key === 'error_log')
    .at(-1)?.value
  const errorLog = tt?.global.error_log ?? fromFiles ?? spec.defaultErrorLog
  return {spec, files, source, tt, capture, pools, errorLog}
}

function accountsFor(config: NginxConfig, installs: ParsedInstall[]): Accounts {
  const users = BASE_USERS.map((entry) => ({...entry}))
  const groups = BASE_GROUPS.map((entry) => ({...entry, members: [...entry.members]}))
  const userNames = [nginxWorkerUser(config).user]
  const groupNames: string[] = []
  for (const pool of installs.flatMap((install) => install.pools)) {
    userNames.push(
      ...[pool.user.value, pool.listenOwner.value, ...pool.listenAclUsers.value].filter(
        (name): name is string => name !== undefined,
      ),
    )
    groupNames.push(
      ...[pool.group.value, pool.listenGroup.value, ...pool.listenAclGroups.value].filter(
        (name): name is string => name !== undefined,
      ),
    )
  }
  let next = 1001
  for (const name of new Set(userNames)) {
    if (/^\d+$/.test(name) || users.some((entry) => entry.name === name)) continue
    users.push({name, uid: next, gid: next, gecos: name, home: `/home/${name}`, shell: '/usr/sbin/nologin'})
    groups.push({name, gid: next, members: []})
    next++
  }
  for (const name of new Set(groupNames)) {
    if (/^\d+$/.test(name) || groups.some((entry) => entry.name === name)) continue
    groups.push({name, gid: next++, members: []})
  }
  return {users, groups}
}

function nginxProcessList(workerUser: string, account: PasswdEntry | undefined, elapsedSeconds: number): ProcessInfo[] {
  const base = {comm: 'nginx', exe: '/usr/sbin/nginx', otherNamespace: false, elapsedSeconds}
  const master: ProcessInfo = {
    ...base,
    pid: 1000,
    ppid: 1,
    kind: 'nginx-master',
    cmdline: 'nginx: master process /usr/sbin/nginx -g daemon on; master_process on;',
    uid: 0,
    gid: 0,
    user: 'root',
    group: 'root',
    groups: [],
    rssKb: 1_560,
    pssKb: 464,
  }
  const workers = [1001, 1002].map((pid): ProcessInfo => ({
    ...base,
    pid,
    ppid: 1000,
    kind: 'nginx-worker',
    cmdline: 'nginx: worker process',
    uid: account?.uid ?? 65534,
    gid: account?.gid ?? 65534,
    user: workerUser,
    group: workerUser,
    groups: [account?.gid ?? 65534],
    rssKb: 4_152,
    pssKb: 966,
  }))
  return [master, ...workers]
}

/** A static pool runs max_children workers, a dynamic one start_servers, an ondemand one none while idle. */
function workerCount(pool: EffectivePool): number {
  if (pool.pm.value === 'static') return pool.maxChildren.value ?? 0
  if (pool.pm.value === 'dynamic') return pool.startServers.value ?? 0
  return 0
}

function fpmProcessList(
  install: ParsedInstall,
  masterPid: number,
  memory: {rss: number; pss?: number},
  users: PasswdEntry[],
  ages: {master: number; workers: number},
): ProcessInfo[] {
  const comm = posix.basename(install.spec.binary).slice(0, 15)
  const base = {comm, exe: install.spec.binary, otherNamespace: false, elapsedSeconds: ages.workers}
  const master: ProcessInfo = {
    ...base,
    elapsedSeconds: ages.master,
    pid: masterPid,
    ppid: 1,
    kind: 'fpm-master',
    cmdline: `php-fpm: master process (${install.spec.mainConfigPath})`,
    fpmConfigPath: install.spec.mainConfigPath,
    uid: 0,
    gid: 0,
    user: 'root',
    group: 'root',
    groups: [],
    rssKb: 6_808,
    pssKb: 2_123,
  }
  const workers: ProcessInfo[] = []
  for (const pool of install.pools) {
    const account = users.find((entry) => entry.name === (pool.user.value ?? 'nobody'))
    for (let index = 0; index < workerCount(pool); index++) {
      workers.push({
        ...base,
        pid: masterPid + 1 + workers.length,
        ppid: masterPid,
        kind: 'fpm-worker',
        fpmPool: pool.name,
        cmdline: `php-fpm: pool ${pool.name}`,
        uid: account?.uid ?? 65534,
        gid: account?.gid ?? 65534,
        user: pool.user.value ?? 'nobody',
        group: pool.group.value ?? pool.user.value ?? 'nobody',
        groups: [account?.gid ?? 65534],
        rssKb: memory.rss,
        ...(memory.pss === undefined ? {} : {pssKb: memory.pss}),
      })
    }
  }
  return [master, ...workers]
}

/** The socket php-fpm creates for a pool: listen.owner/group/mode, or with ACLs root-owned plus named entries. */
function socketStat(path: string, pool: EffectivePool, {users, groups}: Accounts): SocketStat {
  const mode = `0${(pool.listenMode.value ?? 0o660).toString(8).padStart(3, '0')}`
  const aclUsers = pool.listenAclUsers.value
  const aclGroups = pool.listenAclGroups.value
  const acl = aclUsers.length > 0 || aclGroups.length > 0
  const owner = acl ? 'root' : (pool.listenOwner.value ?? 'root')
  const ownerEntry = users.find((entry) => entry.name === owner)
  const primaryGroup = groups.find((entry) => entry.gid === ownerEntry?.gid)?.name
  const groupName = acl ? 'root' : (pool.listenGroup.value ?? primaryGroup ?? owner)
  const groupEntry = groups.find((entry) => entry.name === groupName)
  const named = [...aclUsers.map((name) => `user:${name}:rw-`), ...aclGroups.map((name) => `group:${name}:rw-`)]
  return {
    path,
    exists: true,
    type: 'socket',
    size: 0,
    mode,
    owner,
    uid: ownerEntry?.uid ?? 0,
    group: groupName,
    gid: groupEntry?.gid ?? 0,
    inode: 1_450_000 + path.length,
    isSymlink: false,
    realPath: hostRealPath(path),
    readable: true,
    acl: acl ? ['user::rw-', ...named, 'group::rw-', 'mask::rw-', 'other::---'] : minimalAcl(mode),
    referencedBy: ['fpm', 'scan'],
  }
}

function minimalAcl(mode: string): string[] {
  const bits = (digit: string) => {
    const value = Number(digit)
    return `${value & 4 ? 'r' : '-'}${value & 2 ? 'w' : '-'}${value & 1 ? 'x' : '-'}`
  }
  const [owner, group, other] = mode.slice(-3).split('')
  return [`user::${bits(owner!)}`, `group::${bits(group!)}`, `other::${bits(other!)}`]
}

function absentSocket(path: string, referencedBy: SocketStat['referencedBy']): SocketStat {
  return {
    path,
    exists: false,
    isSymlink: false,
    error: `stat: cannot statx '${path}': No such file or directory`,
    referencedBy,
  }
}

function nginxUnixTargets(config: NginxConfig): string[] {
  const paths = new Set<string>()
  const add = (target: LiteralTarget) => {
    if (target.kind === 'unix') paths.add(target.path)
    if (target.kind === 'upstream')
      for (const server of target.servers) if (server.address.kind === 'unix') paths.add(server.address.path)
  }
  for (const pass of findFastcgiPasses(config)) {
    if (pass.target.kind === 'variable') for (const resolved of pass.target.resolved ?? []) add(resolved)
    else add(pass.target)
  }
  return [...paths]
}

/** Debian and Alpine make /var/run a symlink to /run. */
function hostRealPath(path: string): string {
  return path.startsWith('/var/run/') ? `/run/${path.slice('/var/run/'.length)}` : path
}

/** Every parent directory of the sockets, as a stock host has them (/tmp sticky, /var/run → /run). */
function parentDirs(paths: string[]): PathStat[] {
  const dirs = new Set<string>()
  for (const path of paths) {
    let dir = posix.dirname(path)
    while (!dirs.has(dir)) {
      dirs.add(dir)
      if (dir === '/') break
      dir = posix.dirname(dir)
    }
  }
  return [...dirs].map((path): PathStat => {
    const mode = path === '/tmp' ? '1777' : '0755'
    const symlink = path === '/var/run'
    return {
      path,
      exists: true,
      type: 'directory',
      size: 4096,
      mode,
      owner: 'root',
      uid: 0,
      group: 'root',
      gid: 0,
      isSymlink: symlink,
      ...(symlink ? {linkTarget: '/run'} : {}),
      realPath: symlink ? '/run' : path,
      readable: true,
      acl: minimalAcl(mode),
    }
  })
}

function serviceState(name: string, manager: InitSystem, running: boolean, mainPid: number | undefined): ServiceState {
  const systemd = manager === 'systemd'
  return {
    name,
    manager,
    known: true,
    ...(manager === 'none' ? {} : {active: running}),
    state: systemd ? (running ? 'active' : 'inactive') : running ? 'running' : 'stopped',
    ...(systemd ? {subState: running ? 'running' : 'dead', loadState: 'loaded', unitFileState: 'enabled'} : {}),
    ...(running && mainPid !== undefined ? {mainPid} : {}),
    pidFiles: [],
    running,
  }
}

function fpmInstallOf(
  install: ParsedInstall,
  running: boolean,
  processes: ProcessInfo[],
  initSystem: InitSystem,
  masterPid: number,
): FpmInstall {
  const {spec} = install
  return {
    binary: spec.binary,
    realBinary: spec.binary,
    version: `PHP ${spec.versionNumber} (fpm-fcgi) (built: Nov 18 2026 20:02:04)`,
    versionNumber: spec.versionNumber,
    serviceName: spec.serviceName,
    prefix: spec.prefix,
    mainConfigPath: spec.mainConfigPath,
    mainConfigSource: install.capture.code === 0 ? 'tt' : install.capture.output === '' ? 'layout' : 'tt-error',
    ...(running ? {runningConfigPath: spec.mainConfigPath} : {}),
    tt: {code: install.capture.code, output: install.capture.output, truncated: false},
    files: install.files,
    extraIni: [],
    processes,
    service: serviceState(spec.serviceName, initSystem, running, running ? masterPid : undefined),
  }
}

function nginxLog(config: NginxConfig, text: string | undefined): HostSnapshot['logs'][number] {
  const path =
    nginxErrorLogs(config).find((log) => log.kind === 'file' && log.context.length === 0)?.target ??
    '/var/log/nginx/error.log'
  const content = text ?? ''
  return {
    path,
    source: 'nginx',
    exists: true,
    readable: true,
    size: Buffer.byteLength(content),
    truncated: false,
    text: content,
  }
}

function fpmLogText(option: LayoutOptions['fpmLog'], service: string, index: number): string {
  if (option === undefined) return ''
  if (typeof option === 'string') return index === 0 ? option : ''
  return option[service] ?? ''
}

function fpmLogTail(install: ParsedInstall, text: string): HostSnapshot['logs'] {
  if (!install.errorLog.startsWith('/var/')) return []
  return [
    {
      path: install.errorLog,
      source: 'fpm',
      exists: true,
      readable: true,
      size: Buffer.byteLength(text),
      truncated: false,
      text,
    },
  ]
}

/** Where a pool listens, as the facts name it: for tests that look a pool's socket up. */
export function poolAddress(snapshot: HostSnapshot, service: string, pool: string): Address {
  const install = snapshot.fpmInstalls.find((entry) => entry.serviceName === service)
  if (!install) throw new Error(`no install ${service}`)
  const source = parseFpmFiles(
    install.files.map((file) => ({path: file.path, content: file.content!})),
    install.mainConfigPath,
    {prefix: install.prefix},
  )
  let tt: FpmEffectiveConfig | undefined
  try {
    tt = parseFpmTt(install.tt.output)
  } catch {
    tt = undefined
  }
  const listen = effectivePool(source, tt?.ok ? tt : undefined, pool, {phpVersion: install.versionNumber ?? ''}).listen
    .value
  if (!listen) throw new Error(`[${pool}] has no listen address`)
  return listen
}
