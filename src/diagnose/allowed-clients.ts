import {destinationsOf, ipFamily, listenerAccepts, loopbackSource, normalizeHost} from '../facts/ip-address.js'
import {formatAddress, sitesForPool, type Pairing, type PoolRef} from '../facts/pairing.js'
import type {Evidence, Finding} from '../model/finding.js'
import {fpmService} from '../remedy/service.js'
import {configEvidence, currentFpmEvents, droppedByUpstream, logEvidence, poolNginxEvents} from './evidence.js'
import type {RuleContext} from './rule.js'
import {poolScope} from './scope.js'

/**
 * Where nginx's connections to this pool come from: every address php-fpm itself logged dropping,
 * a literal `fastcgi_bind` address, else the loopback source the kernel gives a connection to a
 * loopback address. A `fastcgi_bind` to a variable gives no source the config alone can tell.
 */
function nginxSources(pairings: Pairing[], ref: PoolRef, dropped: string[]): string[] {
  const listen = ref.pool.listen.value
  const sources = new Set(dropped.map(normalizeHost))
  for (const {site, target} of pairings) {
    if (target.kind !== 'tcp' || target.host === undefined || listen?.kind !== 'tcp') continue
    for (const destination of destinationsOf(target.host)) {
      if (!listenerAccepts(listen, destination)) continue
      const source = site.bind === undefined ? loopbackSource(destination) : site.bind.address
      if (source !== undefined) sources.add(source)
    }
  }
  return [...sources]
}

function bindEvidence(pairings: Pairing[]): Evidence[] {
  const binds = new Map(
    pairings.flatMap(({site}) => (site.bind === undefined ? [] : [[`${site.bind.file}:${site.bind.line}`, site.bind]])),
  )
  return [...binds].map(([source, bind]) => ({kind: 'config', text: `fastcgi_bind = ${bind.raw}`, source}))
}

/**
 * `listen.allowed_clients` on a TCP pool leaves out the address nginx connects from: php-fpm accepts
 * the connection and closes it at once ("Connection disallowed: IP address … has been dropped",
 * logged only with catch_workers_output), nginx reads a reset (104) while waiting for the response
 * header and answers 502. The fix adds nginx's address to the list; the restriction stays.
 */
export function allowedClientsFindings(context: RuleContext): Finding[] {
  const findings: Finding[] = []
  const done = new Set<PoolRef['pool']>()
  for (const {pool: ref, listening} of context.pairings) {
    if (ref === undefined || !listening || done.has(ref.pool)) continue
    const {pool, install} = ref
    if (pool.listen.value?.kind !== 'tcp' || pool.allowedClients.value.length === 0) continue
    done.add(ref.pool)
    const pairings = sitesForPool(context.pairings, ref)
    const drops = currentFpmEvents(
      context,
      install,
      (event) => event.kind === 'connection-disallowed' && (event.pool === undefined || event.pool === pool.name),
    )
    const allowed = new Set(
      pool.allowedClients.value.filter((entry) => ipFamily(entry) !== undefined).map(normalizeHost),
    )
    const refused = nginxSources(
      pairings,
      ref,
      drops.map((event) => event.client!),
    ).filter((source) => !allowed.has(source))
    if (refused.length === 0) continue
    const resets = poolNginxEvents(
      context,
      ref,
      (event) => droppedByUpstream(event) && event.action === 'reading response header from upstream',
    )
    const evidence: Evidence[] = [
      configEvidence(`[${pool.name}] listen.allowed_clients`, pool.allowedClients, pool.allowedClients.value.join(',')),
      configEvidence(`[${pool.name}] listen`, pool.listen, formatAddress(pool.listen.value)),
      ...bindEvidence(pairings),
      ...logEvidence(resets),
      ...logEvidence(drops),
    ]
    const entries = pool.allowedClients.value
    const ignored = entries.filter((entry) => ipFamily(entry) === undefined)
    findings.push({
      id: 'socket-permission',
      severity: 'critical',
      scope: poolScope(
        ref,
        pairings.map((pairing) => pairing.site),
      ),
      summary:
        `php-fpm pool ${pool.name} accepts FastCGI connections only from ${entries.join(', ')} (listen.allowed_clients)` +
        `${ignored.length > 0 ? `, and php-fpm ignores ${ignored.join(', ')} (not an IP address)` : ''}; ` +
        `nginx connects from ${refused.join(' and ')}, so php-fpm drops the connection and nginx answers 502` +
        `${resets.length > 0 ? ` (${resets.length} dropped request(s) in nginx's log)` : ''}`,
      evidence,
      remedies: [
        {
          kind: 'fpm-set',
          install: install.id,
          pool: pool.name,
          key: 'listen.allowed_clients',
          value: [...entries, ...refused].join(','),
          reason: `let nginx (${refused.join(', ')}) in; every other address stays refused`,
        },
        fpmService(install.id, 'reload', 'php-fpm hands listen.allowed_clients to new workers'),
      ],
    })
  }
  return findings
}
