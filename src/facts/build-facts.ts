import {parseFpmLog} from '../logs/fpm-log.js'
import type {FpmLogEvent} from '../model/log-events.js'
import {parseHostClock} from '../logs/log-time.js'
import {parseNginxErrorLog} from '../logs/nginx-error-log.js'
import {listenAll} from '../model/address.js'
import type {AclEntry, FpmInstallFacts, GroupFact, HostFacts, NginxFacts, PathStat, UserFact} from '../model/facts.js'
import type {HostSnapshot, ProcessInfo, PathStat as RawStat} from '../model/snapshot.js'
import {parseNginxDump, type NginxConfig} from '../nginx/index.js'
import {canonicalAddress, canonicalPathResolver} from './canonical-path.js'
import {fpmFacts, type FpmSources} from './fpm-facts.js'
import {unreadableByLogin} from './gather-limits.js'
import {processesVisible} from './service-state.js'
import {nginxFacts} from './nginx-facts.js'

/** The parsed configs behind the facts, kept for the planner's edits. */
export interface ConfigSources {
  nginx?: NginxConfig
  fpm: FpmSources[]
}

function aclEntries(lines: string[] | undefined): AclEntry[] | undefined {
  if (lines === undefined) return undefined
  const entries: AclEntry[] = []
  for (const line of lines) {
    const match = /^(user|group|mask|other):([^:]*):([rwx-]{3})/.exec(line.trim())
    if (!match) continue
    entries.push({tag: match[1] as AclEntry['tag'], ...(match[2] ? {qualifier: match[2]} : {}), perms: match[3]!})
  }
  return entries
}

function pathStat(raw: RawStat): PathStat {
  const type =
    raw.type === 'socket' || raw.type === 'directory' || raw.type === 'file' || raw.type === 'symlink'
      ? raw.type
      : raw.type === undefined
        ? undefined
        : 'other'
  const acl = aclEntries(raw.acl)
  return {
    path: raw.path,
    exists: raw.exists,
    ...(type === undefined ? {} : {type}),
    ...(raw.uid === undefined ? {} : {uid: raw.uid}),
    ...(raw.gid === undefined ? {} : {gid: raw.gid}),
    ...(raw.owner === undefined ? {} : {owner: raw.owner}),
    ...(raw.group === undefined ? {} : {group: raw.group}),
    ...(raw.mode === undefined ? {} : {mode: Number.parseInt(raw.mode, 8) & 0o777}),
    ...(raw.inode === undefined ? {} : {inode: raw.inode}),
    ...(acl === undefined ? {} : {acl}),
    ...(raw.error === undefined ? {} : {error: raw.error}),
  }
}

function accounts(snapshot: HostSnapshot): {users: Map<string, UserFact>; groups: Map<string, GroupFact>} {
  const groups = new Map(
    snapshot.groups.map((group) => [group.name, {name: group.name, gid: group.gid, members: group.members}]),
  )
  const users = new Map(
    snapshot.users.map((user) => {
      const supplementary = snapshot.groups
        .filter((group) => group.members.includes(user.name))
        .map((group) => group.gid)
      return [
        user.name,
        {name: user.name, uid: user.uid, gid: user.gid, gids: [...new Set([user.gid, ...supplementary])]},
      ]
    }),
  )
  return {users, groups}
}

/**
 * Unix listeners are listed per network namespace, so a container (or another host
 * sharing the network) listening at the same path shows up too. One is this host's only
 * when its socket file exists here and, where `ss -p` could name every owner (as root),
 * its owner is one of this host's processes.
 */
function ownsListener(snapshot: HostSnapshot, listener: HostSnapshot['listeners']['unix'][number]): boolean {
  if (listener.otherNamespace) return false
  const file = snapshot.sockets.find((socket) => socket.path === listener.path)
  if (file !== undefined && (!file.exists || file.type !== 'socket')) return false
  return !(snapshot.uid === 0 && snapshot.listeners.source === 'ss' && listener.processes.length === 0)
}

/**
 * When the oldest of these processes started, on the host's naive clock: the moment
 * the running config took effect (a reload or restart replaces every worker).
 */
export function generationOf(processes: ProcessInfo[], now: number | undefined): number | undefined {
  const ages = processes.map((process) => process.elapsedSeconds).filter((age): age is number => age !== undefined)
  if (now === undefined || ages.length === 0) return undefined
  return now - Math.max(...ages) * 1000
}

/**
 * When the running php-fpm took its config: its master's start, or later the last time its log
 * says that master (re)started (`fpm is running, pid N`). A reload re-executes the master in
 * place, so its age stays; worker ages mark nothing, as pm.max_requests and dynamic or
 * ondemand pools replace workers all the time.
 */
function fpmGeneration(masters: ProcessInfo[], events: FpmLogEvent[], now: number | undefined): number | undefined {
  const started = generationOf(masters, now)
  const pids = new Set(masters.map((master) => master.pid))
  const restarts = events
    .filter(
      (event) => event.time !== undefined && pids.has(Number(/^fpm is running, pid (\d+)$/.exec(event.message)?.[1])),
    )
    .map((event) => event.time!)
  const candidates = [started, ...restarts].filter((time): time is number => time !== undefined)
  return candidates.length === 0 ? undefined : Math.max(...candidates)
}

/** Unix addresses by where they resolve, so a site and a pool naming one socket two ways pair up. */
function canonicalSites(nginx: NginxFacts, canonical: (path: string) => string): NginxFacts {
  return {
    ...nginx,
    sites: nginx.sites.map((site) => ({
      ...site,
      targets: site.targets.map((target) => canonicalAddress(target, canonical)),
    })),
  }
}

function canonicalListens(install: FpmInstallFacts, canonical: (path: string) => string): FpmInstallFacts {
  return {
    ...install,
    pools: install.pools.map((pool) =>
      pool.listen.value === undefined
        ? pool
        : {...pool, listen: {...pool.listen, value: canonicalAddress(pool.listen.value, canonical)}},
    ),
  }
}

/**
 * `ss` prints an IPv6 wildcard that also takes IPv4 as `*` and one with IPV6_V6ONLY as `[::]`;
 * /proc/net/tcp6 cannot tell them apart, so `::` from it is taken as Linux's default (dual-stack).
 */
function tcpListenerHost(
  address: string,
  source: HostSnapshot['listeners']['source'],
): {host?: string; v6only?: boolean} {
  if (listenAll(address) === 'any') return {}
  if (address === '::') return {host: '::', v6only: source === 'ss'}
  return {host: address}
}

/** Turn one host's raw snapshot into the facts the rules read, keeping the parsed configs for the planner. */
export function buildFacts(snapshot: HostSnapshot): {facts: HostFacts; sources: ConfigSources} {
  const {users, groups} = accounts(snapshot)
  const gidName = new Map(snapshot.groups.map((group) => [group.gid, group.name]))
  const primaryGroupOf = (user: string) => {
    const entry = users.get(user)
    return entry === undefined ? undefined : gidName.get(entry.gid)
  }
  const warnings = [...snapshot.warnings]
  let nginxConfig: NginxConfig | undefined
  if (snapshot.nginx.present && snapshot.nginx.configDump.stdout.trim() !== '') {
    try {
      nginxConfig = parseNginxDump(snapshot.nginx.configDump.stdout)
      warnings.push(...nginxConfig.warnings.map((warning) => `nginx: ${warning.message}`))
    } catch (error) {
      warnings.push(`nginx config could not be parsed: ${(error as Error).message}`)
    }
  }
  const fpm = snapshot.fpmInstalls.map((install) => fpmFacts(install, {primaryGroupOf, snapshot}))
  const paths = new Map<string, PathStat>()
  for (const stat of [...snapshot.dirs, ...snapshot.sockets]) paths.set(stat.path, pathStat(stat))
  const canonical = canonicalPathResolver(snapshot)
  const nginxEvents = snapshot.logs
    .filter((log) => log.source === 'nginx' && log.text !== undefined)
    .flatMap((log) => parseNginxErrorLog(log.text!, log.path))
    .map((event) =>
      event.upstream === undefined ? event : {...event, upstream: canonicalAddress(event.upstream, canonical)},
    )
  const fpmEvents = snapshot.logs
    .filter((log) => log.source === 'fpm' && log.text !== undefined)
    .flatMap((log) => parseFpmLog(log.text!, log.path))
  const now = snapshot.localTime === undefined ? undefined : parseHostClock(snapshot.localTime)
  const nginxGeneration = snapshot.nginx.present
    ? generationOf(
        snapshot.nginx.processes.filter((process) => process.kind === 'nginx-worker'),
        now,
      )
    : undefined
  const claimedLogs = new Set(fpm.flatMap((entry) => entry.facts.errorLogs))
  for (const [index, install] of snapshot.fpmInstalls.entries()) {
    const facts = fpm[index]!.facts
    const ownEvents = fpmEvents.filter((event) => facts.errorLogs.includes(event.file) || !claimedLogs.has(event.file))
    const generation = fpmGeneration(
      install.processes.filter((process) => process.kind === 'fpm-master'),
      ownEvents,
      now,
    )
    if (generation !== undefined) facts.generation = generation
  }
  const ownUnix = snapshot.listeners.unix.filter((listener) => ownsListener(snapshot, listener))
  const facts: HostFacts = {
    hostname: snapshot.hostname,
    ...(now === undefined ? {} : {now}),
    initSystem: snapshot.initSystem,
    selinux: snapshot.selinux,
    ...(snapshot.nginx.present
      ? {
          nginx: {
            ...canonicalSites(nginxFacts(snapshot.nginx, nginxConfig, snapshot), canonical),
            ...(nginxGeneration === undefined ? {} : {generation: nginxGeneration}),
          },
        }
      : {}),
    installs: fpm.map((entry) => canonicalListens(entry.facts, canonical)),
    paths,
    listeningUnix: new Set(ownUnix.map((listener) => canonical(listener.path))),
    unixQueues: new Map(
      ownUnix
        .filter((listener) => listener.recvQ !== undefined)
        .map((listener) => [canonical(listener.path), {recvQ: listener.recvQ!, sendQ: listener.sendQ ?? 0}]),
    ),
    listeningTcp: snapshot.listeners.tcp.map((listener) => ({
      ...tcpListenerHost(listener.address, snapshot.listeners.source),
      port: listener.port,
      recvQ: listener.recvQ ?? 0,
      sendQ: listener.sendQ ?? 0,
      programs: [...new Set(listener.processes.map((process) => process.name))],
    })),
    users,
    groups,
    memory: {
      ...(snapshot.memory.memTotalKb === undefined ? {} : {totalKb: snapshot.memory.memTotalKb}),
      ...(snapshot.memory.memAvailableKb === undefined ? {} : {availableKb: snapshot.memory.memAvailableKb}),
    },
    ...(snapshot.somaxconn === undefined ? {} : {somaxconn: snapshot.somaxconn}),
    ...(snapshot.cpus === undefined ? {} : {cpus: snapshot.cpus}),
    nginxEvents,
    fpmEvents,
    warnings,
    processesVisible: processesVisible(snapshot),
    unreadable: unreadableByLogin(snapshot),
  }
  return {
    facts,
    sources: {...(nginxConfig === undefined ? {} : {nginx: nginxConfig}), fpm: fpm.map((entry) => entry.sources)},
  }
}
