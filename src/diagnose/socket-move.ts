import {posix} from 'node:path'

import {canReachDirectory, type AccountLookup} from '../facts/access.js'
import {allPools, unixKey, type Pairing, type PoolRef} from '../facts/pairing.js'
import type {Remedy} from '../model/finding.js'
import type {HostFacts, UserFact} from '../model/facts.js'
import {retargetPool} from '../remedy/retarget.js'
import {fpmService, nginxService} from '../remedy/service.js'

export interface SocketMove {
  path: string
  /** Why that directory: another pool's, or the install's runtime directory. */
  why: string
  remedies: Remedy[]
}

interface Candidate {
  dir: string
  why: string
}

/**
 * Directories a pool's socket can move to, best first: where the host's other pools keep sockets
 * the workers reach, then the install's runtime directory (where its pid file lives, e.g. Debian's
 * /run/php, RHEL's /run/php-fpm), which the packaging creates.
 */
function candidates(facts: HostFacts, ref: PoolRef): Candidate[] {
  const others = allPools(facts).flatMap(({pool}) =>
    pool !== ref.pool && pool.listen.value?.kind === 'unix'
      ? [{dir: posix.dirname(pool.listen.value.path), why: `where pool ${pool.name} keeps its socket`}]
      : [],
  )
  const pid = ref.install.pidFile
  const runtime =
    pid !== undefined && (pid.exists || facts.paths.get(posix.dirname(pid.path))?.exists === true)
      ? [{dir: posix.dirname(pid.path), why: `${ref.install.serviceName}'s runtime directory (its pid file is there)`}]
      : []
  return [...others, ...runtime]
}

/** A socket path in `dir` no pool uses and no file holds: the old name, else one named after the pool. */
function freePath(facts: HostFacts, dir: string, ref: PoolRef, oldPath: string): string | undefined {
  const taken = new Set(
    allPools(facts).flatMap(({pool}) =>
      pool.listen.value?.kind === 'unix' ? [unixKey(pool.listen.value), pool.listen.value.path] : [],
    ),
  )
  const names = [
    posix.basename(oldPath),
    `${ref.pool.name}.sock`,
    `${posix.basename(ref.install.id)}-${ref.pool.name}.sock`,
  ]
  return names
    .map((name) => posix.join(dir, name))
    .find((path) => !taken.has(path) && facts.paths.get(path)?.exists !== true)
}

/**
 * Move a pool's unix socket out of a directory the nginx workers cannot search into one they can,
 * and point every fastcgi_pass / upstream server / set that named the old path at the new one.
 * php-fpm creates the socket at its next restart; nginx is reloaded after it (actions run php-fpm first).
 */
export function planSocketMove(
  facts: HostFacts,
  pairings: Pairing[],
  ref: PoolRef,
  worker: UserFact,
  lookup: AccountLookup,
): SocketMove | {refused: string} {
  const listen = ref.pool.listen.value
  if (listen?.kind !== 'unix') return {refused: 'the pool does not listen on a unix socket'}
  const judged = candidates(facts, ref)
    .filter((candidate) => candidate.dir !== posix.dirname(listen.path))
    .map((candidate) => ({...candidate, verdict: canReachDirectory(candidate.dir, worker, facts.paths, lookup)}))
  const reachable =
    judged.find((candidate) => candidate.verdict === 'yes') ??
    judged.find((candidate) => candidate.verdict === 'unknown')
  if (reachable === undefined)
    return {
      refused: `no socket directory on this host is known to be reachable by ${worker.name} (no other pool's, no runtime directory)`,
    }
  const path = freePath(facts, reachable.dir, ref, listen.path)
  if (path === undefined) return {refused: `every candidate socket name in ${reachable.dir} is taken`}
  const reason = `the pool's socket moves to ${path}`
  const nginx = retargetPool(pairings, ref, {kind: 'unix', path}, reason)
  if ('refused' in nginx) return nginx
  return {
    path,
    why: reachable.why,
    remedies: [
      {
        kind: 'fpm-set',
        install: ref.install.id,
        pool: ref.pool.name,
        key: 'listen',
        value: path,
        reason: `a socket directory ${worker.name} can search (${reachable.why})`,
      },
      ...nginx.remedies,
      fpmService(ref.install.id, 'restart', `create the socket at ${path}`),
      nginxService('reload', `send to the pool at ${path}`),
    ],
  }
}
