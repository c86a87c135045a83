import {ABSENT} from '../model/plan.js'
import {parseStateKey} from '../protocol/state-keys.js'

/** One precondition that no longer held: as the plan recorded it, and what the host holds now. */
export interface StaleCheck {
  kind: 'file' | 'state'
  key: string
  /** The plan's sha256 of the file, or of the state line. */
  sha256: string
  /** The state line the plan saw, when it kept it. */
  state?: string
  /** The file's new content's sha256, when the plan changes it. */
  afterSha256?: string
  /** What the check found: a sha256 or `absent` for a file, the state line for a state. */
  now?: string
}

function masters(line: string): string {
  return line.replace(/^running ?/, '').trim()
}

function serviceReason(service: string, was: string | undefined, now: string): string {
  const pids = (line: string) =>
    masters(line).includes(' ') ? `master pids ${masters(line)}` : `master pid ${masters(line)}`
  if (was === undefined) {
    return now === 'stopped'
      ? `${service} changed since the plan (now stopped)`
      : `${service} changed since the plan (now running, ${pids(now)})`
  }
  if (was.startsWith('running') && now.startsWith('running')) {
    return `${service} was restarted since the plan (${pids(now)}, was ${masters(was)})`
  }
  if (now === 'stopped') return `${service} was stopped since the plan (${pids(was)} before)`
  if (was === 'stopped') return `${service} was started since the plan (${pids(now)})`
  return `${service} changed since the plan (now ${now}, was ${was})`
}

function socketReason(path: string, was: string | undefined, now: string): string {
  if (now === ABSENT) return `socket ${path} disappeared since the plan`
  const [, owner, group, mode, inode] = now.split(' ')
  const current = `${owner}:${group} mode ${mode}`
  if (was === ABSENT) return `socket ${path} appeared since the plan (${current})`
  if (was === undefined) return `socket ${path} changed since the plan (now ${current})`
  const [, wasOwner, wasGroup, wasMode, wasInode] = was.split(' ')
  const before = `${wasOwner}:${wasGroup} mode ${wasMode}`
  if (before !== current) return `socket ${path} is now ${current} (was ${before})`
  if (inode !== wasInode) return `socket ${path} was re-created since the plan (its service restarted?)`
  return `socket ${path} changed since the plan (now ${now}, was ${was})`
}

function fileReason(check: StaleCheck): string {
  const {key, now, sha256} = check
  if (now === ABSENT) return `${key} was deleted since the plan`
  if (sha256 === ABSENT) return `${key} was created since the plan`
  if (now !== undefined && now === check.afterSha256) {
    return `${key} already holds the planned content (changed since the plan by another apply or by hand)`
  }
  return `${key} changed since the plan (edited on the host?)`
}

/** What changed since the plan, in words: "/etc/nginx/sites-available/app changed since the plan (edited on the host?)". */
export function staleReason(check: StaleCheck): string {
  if (check.kind === 'file') return fileReason(check)
  if (check.now === undefined) return `${check.key} changed since the plan`
  const {kind, subject} = parseStateKey(check.key)
  return kind === 'service'
    ? serviceReason(subject, check.state, check.now)
    : socketReason(subject, check.state, check.now)
}
