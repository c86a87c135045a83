import type {GroupEntry, PasswdEntry, ProcessInfo} from '../../../src/model/snapshot.js'
import {classify, effectiveId, kilobytes, statusFields} from '../../../src/gather/parse-processes.js'
import {optionalInt, optionalText, parseKeyValues, type Section} from '../../../src/protocol/frames.js'

/** A `proc <pid>` section: kv lines (comm, cmdline, exe) plus /proc/PID/status and smaps_rollup lines. */
export function parseProcess(
  section: Section,
  context: {users: PasswdEntry[]; groups: GroupEntry[]; mountNamespace: string | undefined},
): ProcessInfo | undefined {
  const pid = optionalInt(section.tag)
  if (pid === undefined) return undefined
  const values = parseKeyValues(section.content)
  const status = statusFields(section.content)
  const comm = values.get('comm') ?? ''
  const cmdline = (values.get('cmdline') ?? '').trimEnd()
  const {users, groups, mountNamespace} = context
  const namespace = optionalText(values.get('mntns'))
  const uid = effectiveId(status.get('Uid'))
  const gid = effectiveId(status.get('Gid'))
  return {
    pid,
    ppid: optionalInt(status.get('PPid')),
    ...classify(comm, cmdline),
    comm,
    cmdline,
    exe: optionalText(values.get('exe')),
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
    elapsedSeconds: optionalInt((values.get('etimes') ?? '').trim()),
    otherNamespace: namespace !== undefined && mountNamespace !== undefined && namespace !== mountNamespace,
  }
}
