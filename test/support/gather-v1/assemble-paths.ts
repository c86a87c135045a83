import type {
  Listeners,
  LogSource,
  LogTail,
  LogTarget,
  PathStat,
  ProcessInfo,
  SocketStat,
  UnixListener,
} from '../../../src/model/snapshot.js'
import {parseProcNetTcp, parseProcNetUnix, parseSsTcp, parseSsUnix} from '../../../src/gather/parse-listeners.js'
import {parseAcl, parseMeta} from './parse-stat.js'
import type {SectionIndex} from './section-index.js'

const SOCKET_REFERENCES = ['nginx', 'fpm', 'scan'] as const
const LOG_SOURCES: readonly LogSource[] = ['nginx', 'fpm', 'fpm-slowlog', 'fpm-php']

function withAcl(index: SectionIndex, stat: PathStat): PathStat {
  const acl = index.first('cmd', 'acl', stat.path)
  return acl === undefined || acl.status !== 0 ? stat : {...stat, acl: parseAcl(acl.content)}
}

export function assembleSockets(index: SectionIndex): SocketStat[] {
  return index.all('meta', 'socket').map((section) => {
    const referencedBy = SOCKET_REFERENCES.filter((source) => index.first('sockref', source, section.arg) !== undefined)
    return {...withAcl(index, parseMeta(section)), referencedBy}
  })
}

export function assembleDirs(index: SectionIndex): PathStat[] {
  return index.all('meta', 'dir').map((section) => withAcl(index, parseMeta(section)))
}

/** ss lists every unix socket of the network namespace, containers' included; their owners tell them apart. */
function markOtherNamespace(
  listeners: Omit<UnixListener, 'otherNamespace'>[],
  processes: ProcessInfo[],
): UnixListener[] {
  const foreign = new Set(processes.filter((process) => process.otherNamespace).map((process) => process.pid))
  return listeners.map((listener) => ({
    ...listener,
    otherNamespace: listener.processes.length > 0 && listener.processes.every((owner) => foreign.has(owner.pid)),
  }))
}

export function assembleListeners(index: SectionIndex, processes: ProcessInfo[]): Listeners {
  const ssUnix = index.command('ss-unix')
  const ssTcp = index.command('ss-tcp')
  if (ssUnix !== undefined || ssTcp !== undefined) {
    return {
      source: 'ss',
      unix: markOtherNamespace(parseSsUnix(ssUnix?.stdout ?? ''), processes),
      tcp: parseSsTcp(ssTcp?.stdout ?? ''),
    }
  }
  const procUnix = index.command('proc-net-unix')
  const tcp = [index.fileText('proc-net-tcp'), index.fileText('proc-net-tcp6')]
  if (procUnix === undefined && tcp.every((text) => text === undefined)) return {source: 'none', unix: [], tcp: []}
  return {
    source: 'proc',
    unix: markOtherNamespace(parseProcNetUnix(procUnix?.stdout ?? ''), processes),
    tcp: tcp.flatMap((text) => parseProcNetTcp(text ?? '')),
  }
}

function logSource(tag: string): LogSource | undefined {
  return LOG_SOURCES.find((source) => source === tag)
}

function unreadableReason(stat: PathStat): string {
  return stat.type === 'file' ? 'not readable by the gathering user' : `not a regular file (${stat.type ?? 'unknown'})`
}

export function assembleLogs(index: SectionIndex): {logs: LogTail[]; logTargets: LogTarget[]} {
  const logs: LogTail[] = []
  for (const meta of index.sections.filter((section) => section.kind === 'meta' && section.tag.startsWith('log:'))) {
    const source = logSource(meta.tag.slice('log:'.length))
    if (source === undefined) continue
    const stat = parseMeta(meta)
    const tail = index.first('log', source, meta.arg)
    logs.push({
      path: meta.arg,
      source,
      exists: stat.exists,
      readable: stat.readable ?? false,
      size: stat.size,
      truncated: tail === undefined ? false : tail.flags.includes('truncated') || !tail.complete,
      text: tail?.content,
      error: stat.error ?? (stat.exists && tail === undefined ? unreadableReason(stat) : undefined),
    })
  }
  const logTargets = index.all('logtarget').flatMap((section) => {
    const source = logSource(section.tag)
    return source === undefined ? [] : [{target: section.arg, source}]
  })
  return {logs, logTargets}
}
