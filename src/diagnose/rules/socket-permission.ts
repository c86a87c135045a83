import {accountLookup, canConnectUnix, mayAccess, type AccountLookup} from '../../facts/access.js'
import {sitesForPool, type Pairing, type PoolRef} from '../../facts/pairing.js'
import type {Evidence, Finding, Remedy} from '../../model/finding.js'
import type {HostFacts, UserFact} from '../../model/facts.js'
import {fpmService} from '../../remedy/service.js'
import {allowedClientsFindings} from '../allowed-clients.js'
import {planSocketMove} from '../socket-move.js'
import {selinuxFindings} from '../selinux-denial.js'
import {configEvidence, currentNginxEvents, eventsForAddress, logEvidence, statEvidence} from '../evidence.js'
import type {Rule, RuleContext} from '../rule.js'
import {poolScope} from '../scope.js'

/** The nginx worker user as the host knows it, with every group it is in. */
function workerUser(facts: HostFacts): UserFact | undefined {
  const name = facts.nginx?.workerProcessUsers[0] ?? facts.nginx?.workerUser.value
  return name === undefined ? undefined : facts.users.get(name)
}

/**
 * nginx may not connect to a live pool: its worker user cannot connect() to the unix socket
 * (owner/group/mode, ACLs or a parent directory), a TCP pool's listen.allowed_clients
 * leaves out the address nginx connects from, or SELinux denies the connection.
 */
export const socketPermission: Rule = {
  id: 'socket-permission',
  diagnose(context: RuleContext): Finding[] {
    const worker = workerUser(context.facts)
    const lookup = accountLookup(context.facts)
    return [
      ...unixFindings(context, worker, lookup),
      ...allowedClientsFindings(context),
      ...selinuxFindings(context, worker, lookup),
    ]
  },
}

function unixFindings(context: RuleContext, worker: UserFact | undefined, lookup: AccountLookup): Finding[] {
  const {facts} = context
  if (worker === undefined) return []
  const findings: Finding[] = []
  const seen = new Set<PoolRef['pool']>()
  for (const pairing of context.pairings) {
    const ref = pairing.pool
    if (ref === undefined || seen.has(ref.pool) || pairing.target.kind !== 'unix' || !pairing.listening) continue
    const verdict = canConnectUnix(pairing.target.path, worker, facts.paths, lookup)
    if (verdict.ok) continue
    seen.add(ref.pool)
    findings.push(permissionFinding(context, pairing, ref, worker, lookup, verdict))
  }
  return findings
}

function permissionFinding(
  context: RuleContext,
  pairing: Pairing,
  ref: PoolRef,
  worker: UserFact,
  lookup: AccountLookup,
  {reason, path: failingPath}: {reason: string; path: string},
): Finding {
  const {facts} = context
  const {pool, install} = ref
  const path = pairing.target.kind === 'unix' ? pairing.target.path : ''
  const workerGroups = worker.gids.map(
    (gid) => [...facts.groups.values()].find((group) => group.gid === gid)?.name ?? String(gid),
  )
  const evidence: Evidence[] = [
    {
      kind: 'process',
      text: `nginx workers run as ${worker.name} (uid ${worker.uid}, groups ${workerGroups.join(',')})`,
    },
    statEvidence(facts.paths.get(path), path),
  ]
  if (failingPath !== path) evidence.push(statEvidence(facts.paths.get(failingPath), failingPath))
  evidence.push(
    configEvidence('listen.owner', pool.listenOwner, pool.listenOwner.value),
    configEvidence('listen.group', pool.listenGroup, pool.listenGroup.value),
  )
  evidence.push(configEvidence('listen.mode', pool.listenMode, `0${pool.listenMode.value.toString(8)}`))
  const aclActive = pool.aclUsers.value.length > 0 || pool.aclGroups.value.length > 0
  if (aclActive)
    evidence.push(
      configEvidence('listen.acl_users', pool.aclUsers, pool.aclUsers.value.join(',')),
      configEvidence('listen.acl_groups', pool.aclGroups, pool.aclGroups.value.join(',')),
    )
  evidence.push(
    ...logEvidence(
      eventsForAddress(
        currentNginxEvents(context, (event) => event.kind === 'connect-failed' && event.errno === 13),
        pairing.target,
      ),
    ),
  )

  const remedies: Remedy[] = []
  const set = (key: string, value: string, reason: string) =>
    remedies.push({kind: 'fpm-set', install: install.id, pool: pool.name, key, value, reason})
  let summary = `nginx (user ${worker.name}) cannot connect to ${path}: ${reason}`
  const dirBlocked = failingPath !== path
  const stat = facts.paths.get(path)
  // Behind a closed directory the socket itself may refuse the worker too: both are fixed in one plan.
  const socketDenied = !dirBlocked || (stat?.exists === true && !mayAccess(stat, worker, 'w', lookup).ok)
  if (dirBlocked) {
    const move = planSocketMove(facts, context.pairings, ref, worker, lookup)
    if ('refused' in move) summary += `; the socket cannot be moved: ${move.refused}`
    else {
      summary += `; moving the pool's socket to ${move.path} (${move.why}), and nginx with it`
      remedies.push(...move.remedies)
    }
  }
  const granted = remedies.length
  if (socketDenied && aclActive) {
    // php-fpm ignores listen.owner/group when ACLs are set: the worker has to be named in the ACL.
    summary += aclNote(pool.aclUsers.value, pool.aclGroups.value)
    set(
      'listen.acl_users',
      [...pool.aclUsers.value, worker.name].join(','),
      `listen.acl_* replaces owner/group; grant ${worker.name}`,
    )
  } else if (socketDenied) {
    const groupName = workerGroups[0] ?? worker.name
    if (pool.listenOwner.value !== worker.name)
      set('listen.owner', worker.name, `the nginx worker user must own or share the socket`)
    if (pool.listenGroup.value !== groupName) set('listen.group', groupName, `the nginx worker's group`)
    const mode = context.policy.sockets.listenMode
    if (pool.listenMode.value !== mode)
      set('listen.mode', `0${mode.toString(8)}`, 'owner and group only, nobody else (never 0666)')
  }
  if (remedies.length > granted) {
    remedies.push(fpmService(install.id, 'restart', 'listen.* only takes effect when php-fpm re-creates the socket'))
  } else if (!dirBlocked && stat?.uid !== facts.users.get(pool.listenOwner.value)?.uid) {
    // The config is already right: the socket on disk was changed by hand; a restart re-creates it.
    summary += '; the pool config already allows it, the socket on disk differs (changed by hand?)'
    remedies.push(fpmService(install.id, 'restart', 're-create the socket with the configured owner/group/mode'))
  }
  return {
    id: 'socket-permission',
    severity: 'critical',
    scope: poolScope(
      ref,
      sitesForPool(context.pairings, ref).map((other) => other.site),
    ),
    summary,
    evidence,
    remedies,
  }
}

function aclNote(users: string[], groups: string[]): string {
  const parts = [
    users.length > 0 ? `acl_users=${users.join(',')}` : '',
    groups.length > 0 ? `acl_groups=${groups.join(',')}` : '',
  ].filter(Boolean)
  return `; listen.${parts.join(' and listen.')} is set, so listen.owner/listen.group are ignored`
}
