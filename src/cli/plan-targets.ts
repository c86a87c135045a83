import {resolve} from 'node:path'

import {FpmfixError} from '../errors.js'
import {groupMembers, loadInventory, resolveTargets, type Inventory} from '../inventory/index.js'
import type {HostPlan, PlanDocument, SkippedHost} from '../model/plan.js'
import type {HostConnection, HostTarget, SshHop} from '../model/target.js'
import type {ConnectionFlagValues} from './connection-flags.js'
import {expandHome} from './hosts.js'

export interface PlanTargets {
  /** Hosts to apply, in plan order, each reached as its plan recorded (flags applied over that). */
  targets: HostTarget[]
  skipped: SkippedHost[]
  /** One line per connection setting a flag or the inventory changed from what the plan recorded. */
  overrides: string[]
}

/**
 * Where apply reaches each host of a saved plan: exactly as the plan recorded it, with
 * connection flags (and an inventory, when one is given) overriding the recorded values.
 * `--limit` narrows the plan's hosts; the others are skipped. A plan from before hosts'
 * connections were recorded is resolved through the inventory as it was made.
 */
export async function planTargets(plan: PlanDocument, flags: ConnectionFlagValues): Promise<PlanTargets> {
  const inventory = flags.inventory === undefined ? undefined : await loadInventory(expandHome(flags.inventory))
  const selected = selectHosts(plan, flags.limit, inventory)
  const targets: HostTarget[] = []
  const skipped: SkippedHost[] = []
  const overrides: string[] = []
  for (const host of plan.hosts) {
    if (!selected.has(host.name)) {
      skipped.push({name: host.name, address: host.address, reason: `not selected by --limit ${flags.limit ?? ''}`})
    } else if (host.status === 'failed') {
      const why = host.error === undefined ? '' : `: ${host.error.code} ${host.error.message}`
      skipped.push({name: host.name, address: host.address, reason: `the plan has no result for this host${why}`})
    } else if (host.connection === undefined) {
      targets.push(...resolveTargets([host.name], inventory))
    } else {
      const fromInventory = inventory?.hosts.has(host.name) ? resolveTargets([host.name], inventory)[0] : undefined
      const {connection, changed} = overrideConnection(host.connection, flags, fromInventory)
      overrides.push(...changed.map((line) => `${host.name}: ${line}`))
      targets.push(recordedTarget(host, connection))
    }
  }
  return {targets, skipped, overrides}
}

/** The plan's host names that --limit keeps; groups of the inventory (when given) can be named. */
function selectHosts(plan: PlanDocument, limit: string | undefined, inventory: Inventory | undefined): Set<string> {
  const names = plan.hosts.map((host) => host.name)
  if (limit === undefined) return new Set(names)
  const planned = planInventory(names, inventory)
  return new Set(resolveTargets(['all'], planned, {limit}).map((target) => target.name))
}

/** An inventory of exactly the plan's hosts, with the groups a given inventory puts them in. */
function planInventory(names: string[], inventory: Inventory | undefined): Inventory {
  const inPlan = new Set(names)
  const groups: Inventory['groups'] = new Map([
    ['all', {name: 'all', hosts: [], children: ['ungrouped'], vars: {}, depth: 0}],
    ['ungrouped', {name: 'ungrouped', hosts: names, children: [], vars: {}, depth: 1}],
  ])
  for (const name of inventory?.groups.keys() ?? []) {
    if (groups.has(name)) continue
    const hosts = groupMembers(inventory!, name).filter((host) => inPlan.has(host))
    groups.set(name, {name, hosts, children: [], vars: {}, depth: 1})
  }
  const hosts: Inventory['hosts'] = new Map(
    names.map((name) => [name, {name, vars: {}, hostVars: {}, groups: ['all']}]),
  )
  return {source: 'the plan', hosts, groups}
}

function recordedTarget(host: HostPlan, connection: HostConnection): HostTarget {
  const ssh = connection.ssh
  return {
    name: host.name,
    connection: connection.connection,
    address: ssh?.address ?? host.address,
    ...(ssh === undefined ? {} : {port: ssh.port, user: ssh.user}),
    ...(ssh?.privateKeyFile === undefined ? {} : {privateKeyFile: ssh.privateKeyFile}),
    become: connection.become,
    vars: {},
    recorded: connection,
  }
}

/**
 * Apply connection flags (and inventory values) over a recorded connection. Each setting that
 * differs from the record is described, so apply can say on stderr what it does differently.
 */
export function overrideConnection(
  recorded: HostConnection,
  flags: ConnectionFlagValues,
  fromInventory: HostTarget | undefined,
): {connection: HostConnection; changed: string[]} {
  const changed: string[] = []
  const become = flags.become ? true : (fromInventory?.become ?? recorded.become)
  if (become !== recorded.become) {
    changed.push(
      `${flags.become ? '--become' : '-i ansible_become'} ${become ? 'runs' : 'does not run'} commands as root, unlike the plan`,
    )
  }
  if (recorded.ssh === undefined) return {connection: {...recorded, become}, changed}
  const ssh: SshHop = {...recorded.ssh}
  const set = <K extends 'address' | 'port' | 'user' | 'privateKeyFile' | 'knownHostsFile'>(
    key: K,
    value: SshHop[K] | undefined,
    source: string,
  ): void => {
    if (value === undefined || value === ssh[key]) return
    changed.push(`${source} ${String(value)} replaces the plan's ${String(ssh[key] ?? '(none)')}`)
    ssh[key] = value
  }
  if (fromInventory !== undefined && fromInventory.connection === 'ssh') {
    set('address', fromInventory.address, '-i address')
    set('port', fromInventory.port, '-i port')
    set('user', fromInventory.user, '-i user')
    set('privateKeyFile', absolute(fromInventory.privateKeyFile), '-i private key')
  }
  set('user', flags.user, '--user')
  const keyFile = absolute(flags['private-key'])
  const knownHosts = absolute(flags['known-hosts'])
  set('privateKeyFile', keyFile, '--private-key')
  set('knownHostsFile', knownHosts, '--known-hosts')
  // Jump hosts keep their recorded addresses and keys; key and known_hosts flags apply to every hop, as when planning.
  const jumpHosts = recorded.jumpHosts?.map((jump) => ({
    ...jump,
    ...(keyFile === undefined ? {} : {privateKeyFile: keyFile}),
    ...(knownHosts === undefined ? {} : {knownHostsFile: knownHosts}),
  }))
  return {connection: {...recorded, become, ssh, ...(jumpHosts === undefined ? {} : {jumpHosts})}, changed}
}

function absolute(path: string | undefined): string | undefined {
  return path === undefined ? undefined : resolve(expandHome(path))
}

/** A saved plan can only be applied to hosts it has; a target list makes no sense with one. */
export function rejectTargetsWithPlan(file: string, extra: string[]): void {
  if (extra.length === 0) return
  throw new FpmfixError('USAGE', `apply ${file} takes no targets, got: ${extra.join(' ')}`, {
    hint: 'Choose some of the plan’s hosts with -l/--limit.',
  })
}
