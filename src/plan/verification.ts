import {pairSites} from '../facts/pairing.js'
import {dialable, dialHost, hostPort} from '../model/address.js'
import type {FastcgiSite, HostFacts, PoolFacts} from '../model/facts.js'
import type {HostPlan, ServiceAction} from '../model/plan.js'
import type {
  ApplyProbes,
  FastcgiProbe,
  FpmInstallOptions,
  HttpProbe,
  ListenerExpectation,
} from '../model/verification.js'

/** The owner/group/mode a pool's socket must have once php-fpm re-creates it. */
function socketExpectation(pool: PoolFacts): ListenerExpectation | undefined {
  const listen = pool.listen.value
  if (listen === undefined) return undefined
  if (listen.kind === 'tcp') return {tcp: dialable(listen)}
  const acl = pool.aclUsers.value.length > 0 || pool.aclGroups.value.length > 0
  // With ACLs php-fpm ignores listen.owner/group; only the path and mode can be checked.
  return {
    socket: {
      path: listen.path,
      ...(acl ? {} : {owner: pool.listenOwner.value, group: pool.listenGroup.value}),
      mode: `0${pool.listenMode.value.toString(8)}`,
    },
  }
}

function fastcgiProbe(pool: PoolFacts): FastcgiProbe | undefined {
  const listen = pool.listen.value
  if (listen === undefined) return undefined
  return {
    ...(listen.kind === 'unix' ? {socket: listen.path} : {tcp: dialable(listen)}),
    ...(pool.pingPath === undefined ? {} : {pingPath: pool.pingPath}),
  }
}

/** A server block without `listen` listens on *:80 (nginx run as root, as a web server is). */
const DEFAULT_LISTENS = [['80']]

/** What apply's HTTP probe, and verify's default route, request from a server. */
export const PROBE_PATH = '/index.php'

/** Where a server is reached over plain HTTP: its first plain-HTTP `listen`, dialled by the listen-all rule, and the Host header to send. */
export function serverDial(site: FastcgiSite): {dial: {host: string; port: number}; hostHeader?: string} | undefined {
  for (const args of site.serverListens.length > 0 ? site.serverListens : DEFAULT_LISTENS) {
    if (args.includes('ssl') || args.includes('quic') || args[0] === undefined || args[0].startsWith('unix:')) continue
    const match = /^(?:\[([^\]]+)\]:|([^:]+):)?(\d+)$/.exec(args[0])
    if (!match) continue
    // `.example.com` stands for example.com and its subdomains; send the plain name.
    const name = site.server
      .split(' ')
      .map((candidate) => (candidate.startsWith('.') ? candidate.slice(1) : candidate))
      .find(
        (candidate) => candidate !== '_' && candidate !== '' && !candidate.includes('*') && !candidate.startsWith('~'),
      )
    return {
      dial: {host: dialHost(match[1] ?? match[2]), port: Number(match[3])},
      ...(name === undefined ? {} : {hostHeader: name}),
    }
  }
  return undefined
}

/** `http://127.0.0.1:PORT/index.php` for a server's first plain-HTTP `listen`. */
export function probeUrlFor(site: FastcgiSite): HttpProbe | undefined {
  const server = serverDial(site)
  if (server === undefined) return undefined
  const {dial, hostHeader} = server
  return {
    url: `http://${hostPort(dial.host, dial.port)}${PROBE_PATH}`,
    ...(hostHeader === undefined ? {} : {hostHeader}),
  }
}

/**
 * What apply verifies for this plan, from `planned`: the host's facts as they will be once the
 * plan's files are written (see plannedSnapshot). Every pool of each php-fpm install started,
 * restarted or reloaded must listen (unix sockets with the intended owner/group/mode) and answer
 * FastCGI, and an HTTP request through nginx to each affected server must not be 502/504; an
 * install being stopped is expected to listen nowhere. Each action also carries its gate: the
 * probes of what it just (re)started, to pass before the next action runs.
 */
export function verification(
  planned: HostFacts,
  planActions: ServiceAction[],
): {verify: NonNullable<HostPlan['verify']>; actions: ServiceAction[]} {
  const actions = planActions.map((action) => ({...action}))
  const fpm: Record<string, FpmInstallOptions> = {}
  const probes: ApplyProbes = {fastcgi: [], http: []}
  const touchedPools = new Set<PoolFacts>()
  for (const action of actions) {
    const target = action.target
    if (target.kind !== 'php-fpm') continue
    const install = planned.installs.find((entry) => entry.id === target.install)
    if (install === undefined) continue
    if (action.action === 'stop') {
      fpm[install.id] = {mainConfig: install.mainConfig, expect: []}
      continue
    }
    const expect = install.pools
      .map(socketExpectation)
      .filter((entry): entry is ListenerExpectation => entry !== undefined)
    fpm[install.id] = {mainConfig: install.mainConfig, expect}
    const fastcgi = install.pools.map(fastcgiProbe).filter((probe): probe is FastcgiProbe => probe !== undefined)
    install.pools.forEach((pool) => touchedPools.add(pool))
    probes.fastcgi!.push(...fastcgi)
    if (fastcgi.length > 0) action.gate = {fastcgi}
  }
  const nginxActed = actions.some((action) => action.target.kind === 'nginx')
  const seen = new Set<string>()
  for (const pairing of pairSites(planned)) {
    if (!nginxActed && (pairing.pool === undefined || !touchedPools.has(pairing.pool.pool))) continue
    const probe = probeUrlFor(pairing.site)
    if (probe === undefined || seen.has(`${probe.url} ${probe.hostHeader}`)) continue
    seen.add(`${probe.url} ${probe.hostHeader}`)
    probes.http!.push(probe)
  }
  const nginxAction = actions.find((action) => action.target.kind === 'nginx')
  if (nginxAction !== undefined && probes.http!.length > 0) nginxAction.gate = {http: [...probes.http!]}
  return {verify: {fpm, nginx: planned.nginx ? {binary: planned.nginx.binary} : {}, probes}, actions}
}
