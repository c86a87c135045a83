import {compareVersionKeys} from '../../facts/install-version.js'
import {
  addressMatches,
  allPools,
  formatAddress,
  groupByAddress,
  isListening,
  type Pairing,
  type PoolRef,
} from '../../facts/pairing.js'
import type {Evidence, Finding, Remedy} from '../../model/finding.js'
import type {Address} from '../../model/facts.js'
import {configEvidence, currentNginxEvents, eventsForAddress, logEvidence, statEvidence} from '../evidence.js'
import {retarget} from '../../remedy/retarget.js'
import {nginxService} from '../../remedy/service.js'
import type {Rule, RuleContext} from '../rule.js'
import {pairingsScope, uniqueBy} from '../scope.js'

/**
 * The pool nginx should use instead: the live pools, narrowed to the newest PHP version
 * (during an upgrade the running, newest pool is the truth), then to the pool whose name
 * or socket name matches what nginx asked for. More than one left is ambiguity.
 */
export function chooseLivePool(live: PoolRef[], wanted: Address): {pool?: PoolRef; ambiguous: PoolRef[]} {
  if (live.length === 0) return {ambiguous: []}
  const newest = live.reduce((best, ref) =>
    compareVersionKeys(ref.install.versionKey, best.install.versionKey) > 0 ? ref : best,
  )
  let candidates = live.filter((ref) => compareVersionKeys(ref.install.versionKey, newest.install.versionKey) === 0)
  if (candidates.length > 1) {
    const wantedName =
      wanted.kind === 'unix'
        ? wanted.path
            .split('/')
            .pop()!
            .replace(/php\d+(\.\d+)?-?/g, 'php')
        : ''
    const byKind = candidates.filter((ref) => ref.pool.listen.value?.kind === wanted.kind)
    if (byKind.length > 0) candidates = byKind
    const byName = candidates.filter((ref) => {
      const listen = ref.pool.listen.value
      return (
        listen?.kind === 'unix' &&
        wantedName !== '' &&
        listen.path
          .split('/')
          .pop()!
          .replace(/php\d+(\.\d+)?-?/g, 'php') === wantedName
      )
    })
    if (byName.length === 1) candidates = byName
  }
  return candidates.length === 1 ? {pool: candidates[0]!, ambiguous: []} : {ambiguous: candidates}
}

/**
 * nginx points at an address where no pool is configured and nothing listens, or where something
 * that is not FastCGI answers (nginx logged it: a port of an HTTP server, say), while pools listen
 * elsewhere. Something listening is not enough to say so: a container's php-fpm behind a proxy
 * listens through a program that is not php-fpm.
 */
export const socketMismatch: Rule = {
  id: 'socket-mismatch',
  diagnose(context: RuleContext): Finding[] {
    const live = allPools(context.facts).filter(
      (ref) => ref.pool.listen.value !== undefined && isListening(context.facts, ref.pool.listen.value),
    )
    const notFastcgi = currentNginxEvents(context, (event) => event.kind === 'not-fastcgi')
    const broken = context.pairings.filter(
      (pairing) =>
        pairing.pool === undefined && (!pairing.listening || eventsForAddress(notFastcgi, pairing.target).length > 0),
    )
    return groupByAddress(broken).map((group) => mismatchFinding(context, group, live))
  },
}

/** Who answers at an address nginx sends to that is not a pool's, in words, for the summary and evidence. */
function answeredBy(context: RuleContext, target: Address): string {
  const programs =
    target.kind === 'tcp'
      ? context.facts.listeningTcp
          .filter((listener) => addressMatches(target, {kind: 'tcp', ...listener}))
          .flatMap((listener) => listener.programs)
      : []
  return programs.length > 0 ? [...new Set(programs)].join(', ') : 'a program that is not php-fpm'
}

function mismatchFinding(context: RuleContext, group: Pairing[], live: PoolRef[]): Finding {
  const target = group[0]!.target
  const answerer = group[0]!.listening ? answeredBy(context, target) : undefined
  const places = uniqueBy(group, (pairing) => `${pairing.target.file}:${pairing.target.line}`)
  const evidence: Evidence[] = places.map(({target: place}) => ({
    kind: 'config',
    text: `${place.directive === 'server' ? `${upstreamLabel(group[0]!)}server` : 'fastcgi_pass'} ${formatAddress(place)}`,
    source: `${place.file}:${place.line}`,
  }))
  if (answerer !== undefined)
    evidence.push({kind: 'listener', text: `${formatAddress(target)} is answered by ${answerer}`})
  else if (target.kind === 'unix') evidence.push(statEvidence(context.facts.paths.get(target.path), target.path))
  else evidence.push({kind: 'listener', text: `no TCP listener on port ${target.port}`})
  for (const ref of live)
    evidence.push(
      configEvidence(
        `pool ${ref.pool.name} (${ref.install.id}) listen`,
        ref.pool.listen,
        formatAddress(ref.pool.listen.value),
      ),
    )
  const events = eventsForAddress(
    currentNginxEvents(context, (event) => event.kind === (answerer !== undefined ? 'not-fastcgi' : 'connect-failed')),
    target,
  )
  evidence.push(...logEvidence(events))
  const remedies: Remedy[] = []
  const choice = chooseLivePool(live, target)
  let summary = `nginx sends to ${formatAddress(target)}, where no php-fpm pool listens`
  if (answerer !== undefined) summary += ` (${answerer} answers there, not in FastCGI)`
  if (choice.pool !== undefined) {
    const {pool, install} = choice.pool
    const version = install.version ? ` (php ${install.version})` : ''
    const reason = `point nginx at the live pool ${pool.name}`
    const edits = places.map((place) => retarget(place, {to: pool.listen.value!, reason, reach: 'sole-value'}))
    const refusals = edits.flatMap((edit) => ('refused' in edit ? [edit.refused] : []))
    summary += `; the live pool ${pool.name}${version} listens at ${formatAddress(pool.listen.value)}`
    if (refusals.length > 0) {
      summary += `, but the address comes from ${group[0]!.site.raw}: ${[...new Set(refusals)].join('; ')} — change it where that variable is set`
    } else {
      remedies.push(
        ...edits.flatMap((edit) => ('remedies' in edit ? edit.remedies : [])),
        nginxService('reload', 'load the corrected FastCGI address'),
      )
      // Something answers there on purpose: say what the plan assumes, for the reviewer to judge.
      if (answerer !== undefined)
        summary += `; this plan assumes php-fpm was meant (if ${answerer} was, that takes proxy_pass)`
    }
  } else if (choice.ambiguous.length > 1) {
    const candidates = choice.ambiguous.map((ref) => `${ref.pool.name} at ${formatAddress(ref.pool.listen.value)}`)
    summary += `; several live pools could be meant (${candidates.join(', ')}) — not guessing`
  } else if (live.length === 0) {
    summary += '; no php-fpm pool listens anywhere on this host'
  }
  return {id: 'socket-mismatch', severity: 'critical', scope: pairingsScope(group), summary, evidence, remedies}
}

function upstreamLabel(pairing: Pairing): string {
  return pairing.site.upstream === undefined ? '' : `upstream ${pairing.site.upstream} `
}
