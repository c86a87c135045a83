import type {GroupEntry, PasswdEntry, ProcessInfo, PsEntry} from '../model/snapshot.js'
import {optionalInt, parseKeyValues, type Section} from '../protocol/frames.js'

/** `Key:\tvalue` lines of /proc/PID/status. */
export function statusFields(content: string): Map<string, string> {
  const fields = new Map<string, string>()
  for (const line of content.split('\n')) {
    const match = /^([A-Z][A-Za-z_]*):\s*(.*)$/.exec(line)
    if (match?.[1] !== undefined) fields.set(match[1], (match[2] ?? '').trim())
  }
  return fields
}

/** Second field of `Uid:\treal\teffective\tsaved\tfs`. */
export function effectiveId(value: string | undefined): number | undefined {
  const ids = value?.split(/\s+/)
  return optionalInt(ids?.[1] ?? ids?.[0])
}

export function kilobytes(value: string | undefined): number | undefined {
  return optionalInt(value?.replace(/\s*kB$/, ''))
}

export function classify(comm: string, cmdline: string): Pick<ProcessInfo, 'kind' | 'fpmPool' | 'fpmConfigPath'> {
  if (cmdline.startsWith('nginx: master process')) return {kind: 'nginx-master'}
  if (cmdline.startsWith('nginx: worker process')) return {kind: 'nginx-worker'}
  if (cmdline.startsWith('nginx: ') || comm === 'nginx') return {kind: 'nginx-helper'}
  const master = /^php-fpm: master process \((.*)\)/.exec(cmdline)
  if (master !== null) return {kind: 'fpm-master', fpmConfigPath: master[1]}
  const pool = /^php-fpm: pool (\S+)/.exec(cmdline)
  if (pool !== null) return {kind: 'fpm-worker', fpmPool: pool[1]}
  return {kind: 'other'}
}

/** `/proc/PID/status` and `smaps_rollup` lines as `grep -H` prints them (`/proc/PID/FILE:Key:\tvalue`), by pid. */
export function procStatusLines(text: string): Map<number, string> {
  const lines = new Map<number, string>()
  for (const line of text.split('\n')) {
    const match = /^\/proc\/(\d+)\/(?:status|smaps_rollup):(.*)$/.exec(line)
    if (match === null) continue
    const pid = Number(match[1])
    lines.set(pid, `${lines.get(pid) ?? ''}${match[2]}\n`)
  }
  return lines
}

export interface ProcessContext {
  users: PasswdEntry[]
  groups: GroupEntry[]
  /** What /proc/PID/exe points at, by pid. */
  exe: (pid: number) => string | undefined
  /** Seconds since the process started (`ps -o etimes`), by pid. */
  elapsedSeconds: (pid: number) => number | undefined
  /** Its /proc/PID/status and smaps_rollup lines (see procStatusLines), by pid. */
  status: (pid: number) => string | undefined
}

/** A `proc <pid>` section (kv lines: comm, ns, cmdline) with its /proc/PID/status and smaps_rollup lines. */
export function parseProcess(section: Section, context: ProcessContext): ProcessInfo | undefined {
  const pid = optionalInt(section.tag)
  if (pid === undefined) return undefined
  const values = parseKeyValues(section.content)
  const status = statusFields(context.status(pid) ?? '')
  const comm = values.get('comm') ?? ''
  const cmdline = (values.get('cmdline') ?? '').trimEnd()
  const {users, groups} = context
  const uid = effectiveId(status.get('Uid'))
  const gid = effectiveId(status.get('Gid'))
  return {
    pid,
    ppid: optionalInt(status.get('PPid')),
    ...classify(comm, cmdline),
    comm,
    cmdline,
    exe: context.exe(pid)?.replace(/ \(deleted\)$/, ''),
    uid,
    gid,
    user: users.find((entry) => entry.uid === uid)?.name,
    group: groups.find((entry) => entry.gid === gid)?.name,
    groups: (status.get('Groups') ?? '')
      .split(/\s+/)
      .filter((id) => /^\d+$/.test(id))
      .map(Number),
    rssKb: kilobytes(status.get('VmRSS')),
    pssKb: kilobytes(status.get('Pss')),
    elapsedSeconds: context.elapsedSeconds(pid),
    otherNamespace: values.get('ns') === 'other',
  }
}

const RSS_UNIT_KB: Record<string, number> = {'': 1, k: 1, m: 1024, g: 1024 * 1024}

/** procps prints RSS in KiB; BusyBox switches to '14m' / '1.2g' for large values. */
function rssKilobytes(text: string): number {
  const match = /^(\d+(?:\.\d+)?)([kmg]?)$/i.exec(text)
  return Math.round(Number(match?.[1] ?? 0) * (RSS_UNIT_KB[(match?.[2] ?? '').toLowerCase()] ?? 1))
}

const PS_ROW = /^\s*(\d+)\s+(\d+)\s+(\S+)\s+(\S+)\s+(\d+(?:\.\d+)?[kmgKMG]?)\s+(.*)$/

/** Whether `ps` printed the ELAPSED (etimes) column: procps has it, BusyBox not. */
function hasElapsed(text: string): boolean {
  return /^\s*PID\s+PPID\s+\S+\s+\S+\s+RSS\s+ELAPSED\s/.test(text)
}

/**
 * `ps -eo pid,ppid,user,group,rss[,etimes],args` (header line first); rows that do not fit are
 * skipped. Each row's elapsed seconds, when ps printed them, go to `elapsed`.
 */
export function parsePsTable(text: string, elapsed = new Map<number, number>()): PsEntry[] {
  const rows: PsEntry[] = []
  const withElapsed = hasElapsed(text)
  for (const line of text.split('\n')) {
    const match = PS_ROW.exec(line)
    if (match === null) continue
    const [, pid, ppid, user = '', group = '', rss = '0'] = match
    let args = match[6] ?? ''
    if (withElapsed) {
      const seconds = /^(\d+)\s+(.*)$/.exec(args)
      if (seconds === null) continue
      elapsed.set(Number(pid), Number(seconds[1]))
      args = seconds[2] ?? ''
    }
    rows.push({pid: Number(pid), ppid: Number(ppid), user, group, rssKb: rssKilobytes(rss), args})
  }
  return rows
}
