import {addressKey, addressMatches, formatAddress} from '../../facts/pairing.js'
import type {Finding} from '../../model/finding.js'
import type {NginxErrorEvent} from '../../model/log-events.js'
import {currentNginxEvents, logEvidence} from '../evidence.js'
import type {Rule, RuleContext} from '../rule.js'
import {hostScope, pairingsScope} from '../scope.js'

const ERROR_LEVELS = new Set(['error', 'crit', 'alert', 'emerg'])

/**
 * nginx failed a FastCGI request with an error no other rule knows ("upstream sent invalid header",
 * a name that could not be resolved, "Too many open files" …): the answer was a 5xx all the same.
 * fpmfix cannot say why, so it proposes nothing, but it never calls such a host healthy: the
 * finding carries nginx's own words and the requests that failed.
 */
export const unknownUpstreamError: Rule = {
  id: 'unknown-upstream-error',
  diagnose(context: RuleContext): Finding[] {
    const unknown = currentNginxEvents(context, isUnknownFastcgiError)
    const byAddress = new Map<string, NginxErrorEvent[]>()
    for (const event of unknown) {
      const key = addressKey(event.upstream!)
      const group = byAddress.get(key)
      if (group === undefined) byAddress.set(key, [event])
      else group.push(event)
    }
    return [...byAddress.values()].map((events) => finding(context, events))
  },
}

function isUnknownFastcgiError(event: NginxErrorEvent): boolean {
  return (
    event.kind === 'other' &&
    event.upstream !== undefined &&
    event.upstreamRaw?.startsWith('fastcgi://') === true &&
    ERROR_LEVELS.has(event.level) &&
    // PHP's own messages (warnings, fatal errors: 500s) come through FastCGI's stderr.
    !event.message.startsWith('FastCGI sent in stderr')
  )
}

/** nginx's message with the values it quotes left out, so one kind of error reads as one. */
function shapeOf(message: string): string {
  return message.replace(/"(?:[^"\\]|\\.)*"/g, '"…"')
}

function finding(context: RuleContext, events: NginxErrorEvent[]): Finding {
  const upstream = events[0]!.upstream!
  const shapes = [...new Set(events.map((event) => shapeOf(event.message)))]
  const requests = [...new Set(events.flatMap((event) => (event.request === undefined ? [] : [event.request])))]
  const pairings = context.pairings.filter((pairing) => addressMatches(upstream, pairing.target))
  return {
    id: 'unknown-upstream-error',
    severity: 'critical',
    scope: pairings.length > 0 ? pairingsScope(pairings) : hostScope(`FastCGI upstream ${formatAddress(upstream)}`),
    summary:
      `nginx failed ${events.length} FastCGI request(s) to ${formatAddress(upstream)} with an error fpmfix has no ` +
      `rule for: ${shapes.slice(0, 3).join('; ')}` +
      (requests.length > 0 ? ` (${requests.slice(0, 3).join(', ')}${requests.length > 3 ? ', …' : ''})` : '') +
      '. No change is proposed: nginx’s message says what failed',
    evidence: logEvidence(events),
    remedies: [],
  }
}
