import type {
  Listeners,
  LogSource,
  LogTail,
  LogTarget,
  PathStat,
  ProcessInfo,
  SocketStat,
  UnixListener,
} from '../model/snapshot.js'
import type {Section} from '../protocol/frames.js'
import {parseProcNetTcp, parseProcNetUnix, parseSsTcp, parseSsUnix} from './parse-listeners.js'
import {GATHER_LIMITS} from './limits.js'
import type {SectionIndex} from './section-index.js'

const SOCKET_REFERENCES = ['nginx', 'fpm', 'scan'] as const
const LOG_SOURCES: readonly LogSource[] = ['nginx', 'fpm', 'fpm-slowlog', 'fpm-php']

/** A path's stat, with its ACL when getfacl could read one. */
function statWithAcl(index: SectionIndex, meta: Section): PathStat {
  const {sha256: _sha256, ...stat} = index.stat(meta)
  const acl = index.batch.acl.get(stat.path)
  return acl === undefined ? stat : {...stat, acl}
}

export function assembleSockets(index: SectionIndex): SocketStat[] {
  return index.all('meta', 'socket').map((section) => {
    const referencedBy = SOCKET_REFERENCES.filter((source) => index.first('sockref', source, section.arg) !== undefined)
    return {...statWithAcl(index, section), referencedBy}
  })
}

export function assembleDirs(index: SectionIndex): PathStat[] {
  return index.all('meta', 'dir').map((section) => statWithAcl(index, section))
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
  const ss = index.command('ss', '', GATHER_LIMITS.commandBytes)
  if (ss !== undefined) {
    return {
      source: 'ss',
      unix: markOtherNamespace(parseSsUnix(ss.stdout), processes),
      tcp: parseSsTcp(ss.stdout),
    }
  }
  const procUnix = index.command('proc-net-unix', '', GATHER_LIMITS.commandBytes)
  const tcp = ['proc-net-tcp', 'proc-net-tcp6'].map((tag) => index.file(tag, GATHER_LIMITS.fileBytes)?.content)
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

/** The last `lines` lines of a text, as `tail -n` counts them (a final line without a newline counts). */
export function lastLines(text: string, lines: number): string {
  let position = text.endsWith('\n') ? text.length - 1 : text.length
  for (let seen = 0; seen < lines; seen++) {
    position = text.lastIndexOf('\n', position - 1)
    if (position < 0) return text
  }
  return text.slice(position + 1)
}

export function assembleLogs(index: SectionIndex): {logs: LogTail[]; logTargets: LogTarget[]} {
  const logs: LogTail[] = []
  for (const meta of index.sections.filter((section) => section.kind === 'meta' && section.tag.startsWith('log:'))) {
    const source = logSource(meta.tag.slice('log:'.length))
    if (source === undefined) continue
    const stat = index.stat(meta)
    const tail = index.batch.tails.get(meta)
    const text = tail === undefined ? undefined : lastLines(tail.text, GATHER_LIMITS.logLines)
    const cut = text !== undefined && (stat.size ?? 0) > Buffer.byteLength(text, 'utf8')
    logs.push({
      path: meta.arg,
      source,
      exists: stat.exists,
      readable: stat.readable ?? false,
      size: stat.size,
      truncated: tail === undefined ? false : cut || !tail.complete,
      text,
      error: stat.error ?? (stat.exists && tail === undefined ? unreadableReason(stat) : undefined),
    })
  }
  const logTargets = index.all('logtarget').flatMap((section) => {
    const source = logSource(section.tag)
    return source === undefined ? [] : [{target: section.arg, source}]
  })
  return {logs, logTargets}
}
