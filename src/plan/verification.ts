import type {ApplyProbes, FpmInstallOptions, HttpProbe, ListenerExpectation} from '../apply/types.js'
import {pairSites} from '../facts/pairing.js'
import {parseListen} from '../fpm/index.js'
import type {Address, FastcgiSite, HostFacts, PoolFacts} from '../model/facts.js'
import type {HostPlan, ServiceAction} from '../model/plan.js'
import type {FpmSet} from './collect-remedies.js'

/** Where to connect to reach a pool listening on all addresses: the loopback of the listener's family. */
function dialable(listen: {host?: string; port: number}): {host: string; port: number} {
  const host =
    listen.host === undefined || listen.host === '0.0.0.0' ? '127.0.0.1' : listen.host === '::' ? '::1' : listen.host
  return {host, port: listen.port}
}

/** Where the pool listens once the plan is applied: a planned `listen` (a moved socket), else where it does now. */
function plannedListen(pool: PoolFacts, sets: FpmSet[]): Address | undefined {
  const planned = sets.find((set) => set.pool === pool.name && set.key === 'listen')?.value
  return (planned === undefined ? undefined : parseListen(planned)) ?? pool.listen.value
}

/** The owner/group/mode the plan intends a pool's socket to have once php-fpm re-creates it. */
function socketExpectation(pool: PoolFacts, sets: FpmSet[]): ListenerExpectation | undefined {
  const listen = plannedListen(pool, sets)
  if (listen === undefined) return undefined
  if (listen.kind === 'tcp') return {tcp: dialable(listen)}
  const wanted = (key: string) => sets.find((set) => set.pool === pool.name && set.key === key)?.value
  const acl = (wanted('listen.acl_users') ?? pool.aclUsers.value.join(',')) !== '' || pool.aclGroups.value.length > 0
  // With ACLs php-fpm ignores listen.owner/group; only the path and mode can be checked.
  return {
    socket: {
      path: listen.path,
      ...(acl
        ? {}
        : {
            owner: wanted('listen.owner') ?? pool.listenOwner.value,
            group: wanted('listen.group') ?? pool.listenGroup.value,
          }),
      mode: (wanted('listen.mode') ?? `0${pool.listenMode.value.toString(8)}`).replace(/^0*/, '0'),
    },
  }
}

/** `http://127.0.0.1:PORT/` for a server's first plain-HTTP `listen`. */
export function probeUrlFor(site: FastcgiSite): HttpProbe | undefined {
  for (const args of site.serverListens) {
    if (args.includes('ssl') || args.includes('quic') || args[0] === undefined || args[0].startsWith('unix:')) continue
    const match = /^(?:(\[[^\]]+\]|[^:]+):)?(\d+)$/.exec(args[0])
    if (!match) continue
    const host =
      match[1] === undefined || match[1] === '*' || match[1] === '0.0.0.0'
        ? '127.0.0.1'
        : match[1] === '[::]'
          ? '[::1]'
          : match[1]
    const name = site.server
      .split(' ')
      .find(
        (candidate) => candidate !== '_' && candidate !== '' && !candidate.includes('*') && !candidate.startsWith('~'),
      )
    return {url: `http://${host}:${match[2]}/index.php`, ...(name === undefined ? {} : {hostHeader: name})}
  }
  return undefined
}

/**
 * What apply verifies for this plan: every pool of each acted-on php-fpm install must
 * listen again (unix sockets with the intended owner/group/mode), answer FastCGI, and an
 * HTTP request through nginx to each affected server must not be 502/504.
 */
export function verification(
  facts: HostFacts,
  actions: ServiceAction[],
  sets: FpmSet[],
): NonNullable<HostPlan['verify']> {
  const fpm: Record<string, FpmInstallOptions> = {}
  const probes: ApplyProbes = {fastcgi: [], http: []}
  const pairings = pairSites(facts)
  const touchedPools = new Set<PoolFacts>()
  for (const action of actions) {
    const target = action.target
    if (target.kind !== 'php-fpm') continue
    const install = facts.installs.find((entry) => entry.id === target.install)
    if (install === undefined) continue
    const installSets = sets.filter((set) => set.install === install.id)
    const expect = install.pools
      .map((pool) => socketExpectation(pool, installSets))
      .filter((entry): entry is ListenerExpectation => entry !== undefined)
    fpm[install.id] = {mainConfig: install.mainConfig, expect}
    for (const pool of install.pools) {
      touchedPools.add(pool)
      const listen = plannedListen(pool, installSets)
      if (listen === undefined) continue
      probes.fastcgi!.push({
        ...(listen.kind === 'unix' ? {socket: listen.path} : {tcp: dialable(listen)}),
        ...(pool.pingPath === undefined ? {} : {pingPath: pool.pingPath}),
      })
    }
  }
  const nginxActed = actions.some((action) => action.target.kind === 'nginx')
  const seen = new Set<string>()
  for (const pairing of pairings) {
    if (!nginxActed && (pairing.pool === undefined || !touchedPools.has(pairing.pool.pool))) continue
    const probe = probeUrlFor(pairing.site)
    if (probe === undefined || seen.has(`${probe.url} ${probe.hostHeader}`)) continue
    seen.add(`${probe.url} ${probe.hostHeader}`)
    probes.http!.push(probe)
  }
  return {fpm, nginx: facts.nginx ? {binary: facts.nginx.binary} : {}, probes}
}
