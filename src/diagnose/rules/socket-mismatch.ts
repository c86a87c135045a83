import {allPools, formatAddress, isListening, type Pairing, type PoolRef} from '../../facts/pairing.js'
import type {Evidence, Finding, Remedy} from '../../model/finding.js'
import type {Address} from '../../model/facts.js'
import {configEvidence, currentNginxEvents, eventsForAddress, logEvidence, statEvidence} from '../evidence.js'
import type {Rule, RuleContext} from '../rule.js'
import {siteScope} from '../scope.js'

/** How nginx spells a pool's address in fastcgi_pass / upstream server. */
export function nginxAddress(address: Address): string {
  if (address.kind === 'unix') return `unix:${address.path}`
  const host =
    address.host === undefined || ['0.0.0.0', '*'].includes(address.host)
      ? '127.0.0.1'
      : address.host === '::'
        ? '[::1]'
        : address.host.includes(':')
          ? `[${address.host}]`
          : address.host
  return `${host}:${address.port}`
}

function compareVersions(a: number[], b: number[]): number {
  for (let index = 0; index < Math.max(a.length, b.length); index++) {
    const diff = (a[index] ?? 0) - (b[index] ?? 0)
    if (diff !== 0) return diff
  }
  return 0
}

/**
 * The pool nginx should use instead: the live pools, narrowed to the newest PHP version
 * (during an upgrade the running, newest pool is the truth), then to the pool whose name
 * or socket name matches what nginx asked for. More than one left is ambiguity.
 */
export function chooseLivePool(live: PoolRef[], wanted: Address): {pool?: PoolRef; ambiguous: PoolRef[]} {
  if (live.length === 0) return {ambiguous: []}
  const newest = live.reduce((best, ref) =>
    compareVersions(ref.install.versionKey, best.install.versionKey) > 0 ? ref : best,
  )
  let candidates = live.filter((ref) => compareVersions(ref.install.versionKey, newest.install.versionKey) === 0)
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

/** nginx points at an address where no pool is configured and nothing listens, while pools listen elsewhere. */
export const socketMismatch: Rule = {
  id: 'socket-mismatch',
  diagnose(context: RuleContext): Finding[] {
    const live = allPools(context.facts).filter(
      (ref) => ref.pool.listen.value !== undefined && isListening(context.facts, ref.pool.listen.value),
    )
    const findings: Finding[] = []
    for (const pairing of context.pairings) {
      if (pairing.pool !== undefined || pairing.listening) continue
      findings.push(mismatchFinding(context, pairing, live))
    }
    return findings
  },
}

function mismatchFinding(context: RuleContext, pairing: Pairing, live: PoolRef[]): Finding {
  const {site, target} = pairing
  const evidence: Evidence[] = [
    {
      kind: 'config',
      text: `${site.via === 'upstream' ? `upstream ${site.upstream} server` : 'fastcgi_pass'} ${formatAddress(target)}`,
      source: `${target.file}:${target.line}`,
    },
  ]
  if (target.kind === 'unix') evidence.push(statEvidence(context.facts.paths.get(target.path), target.path))
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
    currentNginxEvents(context, (event) => event.kind === 'connect-failed'),
    target,
  )
  evidence.push(...logEvidence(events))
  const remedies: Remedy[] = []
  const choice = chooseLivePool(live, target)
  let summary = `nginx sends to ${formatAddress(target)}, where no php-fpm pool listens`
  if (choice.pool !== undefined && site.via === 'variable') {
    // Rewriting `fastcgi_pass $var` to one literal would drop every other value the map or set gives it.
    summary +=
      `; the address comes from ${site.raw} — change it where that variable is set ` +
      `(the live pool ${choice.pool.pool.name} listens at ${formatAddress(choice.pool.pool.listen.value)})`
  } else if (choice.pool !== undefined) {
    const address = nginxAddress(choice.pool.pool.listen.value!)
    const version = choice.pool.install.version ? ` (php ${choice.pool.install.version})` : ''
    summary += `; the live pool ${choice.pool.pool.name}${version} listens at ${formatAddress(choice.pool.pool.listen.value)}`
    const args = site.via === 'upstream' ? [address, ...(target.params ?? [])] : [address]
    remedies.push(
      {
        kind: 'nginx-set',
        file: target.file,
        line: target.line,
        directive: site.via === 'upstream' ? 'server' : 'fastcgi_pass',
        args,
        reason: `point ${site.via === 'upstream' ? `upstream ${site.upstream}` : 'fastcgi_pass'} at the live pool ${choice.pool.pool.name}`,
      },
      {kind: 'service', target: {kind: 'nginx'}, action: 'reload', reason: 'load the corrected FastCGI address'},
    )
  } else if (choice.ambiguous.length > 1) {
    const candidates = choice.ambiguous.map((ref) => `${ref.pool.name} at ${formatAddress(ref.pool.listen.value)}`)
    summary += `; several live pools could be meant (${candidates.join(', ')}) — not guessing`
  } else if (live.length === 0) {
    summary += '; no php-fpm pool listens anywhere on this host'
  }
  return {id: 'socket-mismatch', severity: 'critical', scope: siteScope(pairing), summary, evidence, remedies}
}
