import {formatNaive} from '../logs/log-time.js'
import type {FpmLogEvent, NginxErrorEvent} from '../model/log-events.js'
import type {Evidence} from '../model/finding.js'
import type {Address, FpmInstallFacts, NginxFacts, PathStat, Sourced} from '../model/facts.js'
import {formatMode} from '../facts/access.js'
import {addressMatches, type PoolRef} from '../facts/pairing.js'
import type {RuleContext} from './rule.js'

type LogEvent = NginxErrorEvent | FpmLogEvent

/**
 * A log line is current when it is inside the window and not older than the running
 * service's generation (its workers' start): a line from before the last reload or
 * restart describes a config that no longer runs.
 */
export function isCurrent(event: LogEvent, context: RuleContext, generation: number | undefined): boolean {
  if (event.time === undefined) return false
  const now = context.facts.now
  if (now !== undefined && event.time < now - context.policy.windowMinutes * 60_000) return false
  if (generation !== undefined && event.time < generation - 1000) return false
  return true
}

/**
 * nginx log lines still describing the running configs. Lines about a pool also have to
 * postdate that pool's generation (`poolGeneration`): a php-fpm fix does not reload nginx.
 */
export function currentNginxEvents(
  context: RuleContext,
  predicate: (event: NginxErrorEvent) => boolean,
  poolGeneration?: number,
): NginxErrorEvent[] {
  const nginx = context.facts.nginx
  return context.facts.nginxEvents.filter(
    (event) =>
      predicate(event) &&
      isCurrent(event, context, nginx?.generation) &&
      isCurrent(event, context, poolGeneration) &&
      (nginx === undefined || writtenByRunningNginx(event, nginx)),
  )
}

/**
 * Log times have one-second resolution and the workers' start is known to the second, so a line
 * written around a reload may come from the workers it replaced. Each line names the process that
 * wrote it: there, a line from none of the running nginx processes predates the live config.
 */
function writtenByRunningNginx(event: NginxErrorEvent, nginx: NginxFacts): boolean {
  const generation = nginx.generation
  if (generation === undefined || event.time === undefined || !nginx.running || nginx.pids.length === 0) return true
  if (Math.abs(event.time - generation) > 1000) return true
  return nginx.pids.includes(event.pid)
}

/**
 * Current php-fpm log lines of one install: the lines of its own error log (pool names
 * repeat across installs: every Debian php-fpm has a www pool). A log no install names,
 * when php-fpm's -tt dump was not read, may be any install's. `sinceGeneration: false`
 * keeps lines from before the last restart too (a crash is not undone by one).
 */
export function currentFpmEvents(
  context: RuleContext,
  install: FpmInstallFacts,
  predicate: (event: FpmLogEvent) => boolean,
  options: {sinceGeneration: boolean} = {sinceGeneration: true},
): FpmLogEvent[] {
  const claimed = new Set(context.facts.installs.flatMap((other) => other.errorLogs))
  const generation = options.sinceGeneration ? install.generation : undefined
  return context.facts.fpmEvents.filter(
    (event) =>
      (install.errorLogs.includes(event.file) || !claimed.has(event.file)) &&
      predicate(event) &&
      isCurrent(event, context, generation),
  )
}

export function eventsForAddress(events: NginxErrorEvent[], address: Address): NginxErrorEvent[] {
  return events.filter((event) => event.upstream !== undefined && addressMatches(event.upstream, address))
}

/** Current nginx lines about one pool's address, none from before the pool's own generation. */
export function poolNginxEvents(
  context: RuleContext,
  ref: PoolRef,
  predicate: (event: NginxErrorEvent) => boolean,
): NginxErrorEvent[] {
  const address = ref.pool.listen.value
  if (address === undefined) return []
  return eventsForAddress(currentNginxEvents(context, predicate, ref.install.generation), address)
}

/** php-fpm closed a connection nginx was using: nginx reads a reset or an early close, depending on when. */
export function droppedByUpstream(event: NginxErrorEvent): boolean {
  return event.kind === 'reset-by-peer' || event.kind === 'prematurely-closed'
}

/** At most `limit` log lines as evidence, newest last, with a count of the rest. */
export function logEvidence(events: LogEvent[], limit = 3): Evidence[] {
  const shown = events.slice(-limit)
  const items: Evidence[] = shown.map((event) => ({
    kind: 'log',
    text: event.raw.length > 400 ? `${event.raw.slice(0, 400)}…` : event.raw,
    source: `${event.file}:${event.line}`,
    ...(event.time === undefined ? {} : {time: formatNaive(event.time)}),
  }))
  if (events.length > shown.length) {
    items.unshift({
      kind: 'log',
      text: `${events.length} matching log lines in the window; the last ${shown.length} follow`,
    })
  }
  return items
}

export function configEvidence(label: string, sourced: Sourced<unknown>, shown: string): Evidence {
  return sourced.source === 'default'
    ? {kind: 'config', text: `${label} = ${shown} (default)`}
    : {kind: 'config', text: `${label} = ${shown}`, source: `${sourced.source.file}:${sourced.source.line}`}
}

export function statEvidence(stat: PathStat | undefined, path: string): Evidence {
  if (stat === undefined) return {kind: 'stat', text: `${path}: not examined`}
  if (!stat.exists) return {kind: 'stat', text: `${path}: does not exist`, source: path}
  const acl = stat.acl?.filter((entry) => entry.qualifier !== undefined || entry.tag === 'mask')
  const aclText =
    acl && acl.length > 0
      ? ` acl ${acl.map((entry) => `${entry.tag}:${entry.qualifier ?? ''}:${entry.perms}`).join(',')}`
      : ''
  return {
    kind: 'stat',
    text: `${path}: ${stat.type ?? '?'} ${stat.owner ?? stat.uid}:${stat.group ?? stat.gid} ${formatMode(stat.mode)}${aclText}`,
    source: path,
  }
}
