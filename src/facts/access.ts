import type {AclEntry, HostFacts, PathStat, UserFact} from '../model/facts.js'

export interface AccountLookup {
  gidOf: (name: string) => number | undefined
  uidOf: (name: string) => number | undefined
}

/** User and group ids by name (or a numeric id as written), as the host's accounts give them. */
export function accountLookup(facts: Pick<HostFacts, 'users' | 'groups'>): AccountLookup {
  return {
    gidOf: (name) => (/^\d+$/.test(name) ? Number(name) : facts.groups.get(name)?.gid),
    uidOf: (name) => (/^\d+$/.test(name) ? Number(name) : facts.users.get(name)?.uid),
  }
}

export type AccessVerdict = {ok: true} | {ok: false; path: string; reason: string}

const PERM_BITS = {r: 4, w: 2, x: 1} as const
type Perm = keyof typeof PERM_BITS

function aclAllows(perms: string, want: Perm): boolean {
  return perms.includes(want)
}

function modeAllows(mode: number, shift: number, want: Perm): boolean {
  return ((mode >> shift) & PERM_BITS[want]) !== 0
}

/**
 * Linux's access check (acl(5) "ACCESS CHECK ALGORITHM"): owner, then named users,
 * then any matching group entry, then other; named and group entries are limited by the mask.
 */
export function mayAccess(
  stat: PathStat,
  user: UserFact,
  want: Perm,
  lookup: AccountLookup,
): {ok: boolean; why: string} {
  if (user.uid === 0) return {ok: true, why: 'root'}
  const mode = stat.mode ?? 0
  const acl = stat.acl ?? []
  const mask = acl.find((entry) => entry.tag === 'mask')
  const masked = (entry: AclEntry) =>
    aclAllows(entry.perms, want) && (mask === undefined || aclAllows(mask.perms, want))
  if (stat.uid === user.uid) {
    return {ok: modeAllows(mode, 6, want), why: `owner ${stat.owner ?? stat.uid} has ${describeBits(mode, 6)}`}
  }
  const namedUser = acl.find(
    (entry) => entry.tag === 'user' && entry.qualifier !== undefined && lookup.uidOf(entry.qualifier) === user.uid,
  )
  if (namedUser)
    return {
      ok: masked(namedUser),
      why: `ACL user:${namedUser.qualifier}:${namedUser.perms}${mask ? ` (mask ${mask.perms})` : ''}`,
    }
  const inOwningGroup = stat.gid !== undefined && user.gids.includes(stat.gid)
  const namedGroups = acl.filter(
    (entry) =>
      entry.tag === 'group' && entry.qualifier !== undefined && user.gids.includes(lookup.gidOf(entry.qualifier) ?? -1),
  )
  if (inOwningGroup || namedGroups.length > 0) {
    // With an ACL mask present, the owning group's bits in the mode ARE the mask; the real group perms live in the ACL.
    const owningGroupEntry = acl.find((entry) => entry.tag === 'group' && entry.qualifier === undefined)
    const owningAllows = inOwningGroup && (owningGroupEntry ? masked(owningGroupEntry) : modeAllows(mode, 3, want))
    const ok = owningAllows || namedGroups.some(masked)
    const names = [
      ...(inOwningGroup ? [`group ${stat.group ?? stat.gid} (${describeBits(mode, 3)})`] : []),
      ...namedGroups.map((entry) => `ACL group:${entry.qualifier}:${entry.perms}`),
    ]
    return {ok, why: `via ${names.join(', ')}`}
  }
  return {ok: modeAllows(mode, 0, want), why: `other has ${describeBits(mode, 0)}`}
}

function describeBits(mode: number, shift: number): string {
  const bits = (mode >> shift) & 7
  return `${bits & 4 ? 'r' : '-'}${bits & 2 ? 'w' : '-'}${bits & 1 ? 'x' : '-'}`
}

export function parentDirectories(path: string): string[] {
  const parts = path.split('/').filter(Boolean)
  const dirs = ['/']
  for (let index = 1; index < parts.length; index++) dirs.push(`/${parts.slice(0, index).join('/')}`)
  return dirs
}

/** Search (x) on each of `dirs` the gather examined, outermost first; the first one refused fails. */
function searchDirectories(
  dirs: string[],
  user: UserFact,
  paths: Map<string, PathStat>,
  lookup: AccountLookup,
  checked: string[],
): AccessVerdict {
  for (const dir of dirs) {
    const stat = paths.get(dir)
    if (stat === undefined || !stat.exists) continue
    const verdict = mayAccess(stat, user, 'x', lookup)
    checked.push(`${dir}: ${verdict.why}`)
    if (!verdict.ok)
      return {ok: false, path: dir, reason: `${user.name} cannot search directory ${dir}: ${verdict.why}`}
  }
  return {ok: true}
}

/**
 * Can `user` reach files in `dir` (search on it and every directory above)? `unknown` when the
 * directory itself was not examined and nothing above it refuses.
 */
export function canReachDirectory(
  dir: string,
  user: UserFact,
  paths: Map<string, PathStat>,
  lookup: AccountLookup,
): 'yes' | 'no' | 'unknown' {
  const verdict = searchDirectories(
    [...parentDirectories(dir), dir].filter((path, index, all) => all.indexOf(path) === index),
    user,
    paths,
    lookup,
    [],
  )
  if (!verdict.ok) return 'no'
  const stat = paths.get(dir)
  return stat?.exists === true && stat.type === 'directory' ? 'yes' : 'unknown'
}

/**
 * Can `user` connect() to the unix socket at `path`? Needs search (x) on every parent
 * directory and write (w) on the socket itself.
 */
export function canConnectUnix(
  path: string,
  user: UserFact,
  paths: Map<string, PathStat>,
  lookup: AccountLookup,
): AccessVerdict & {checked: string[]} {
  const checked: string[] = []
  const dirs = searchDirectories(parentDirectories(path), user, paths, lookup, checked)
  if (!dirs.ok) return {...dirs, checked}
  const socket = paths.get(path)
  if (socket === undefined || !socket.exists) return {ok: false, path, reason: `${path} does not exist`, checked}
  const verdict = mayAccess(socket, user, 'w', lookup)
  checked.push(`${path}: ${verdict.why}`)
  if (!verdict.ok)
    return {ok: false, path, reason: `${user.name} has no write permission on ${path}: ${verdict.why}`, checked}
  return {ok: true, checked}
}

export function formatMode(mode: number | undefined): string {
  return mode === undefined ? '?' : `0${mode.toString(8).padStart(3, '0')}`
}
