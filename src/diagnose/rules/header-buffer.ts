import {addressMatches} from '../../facts/pairing.js'
import type {Finding, Remedy} from '../../model/finding.js'
import type {Policy} from '../../model/policy.js'
import type {FastcgiSite} from '../../model/facts.js'
import {formatNginxSize} from '../../nginx/index.js'
import {planBuffers} from '../../remedy/fastcgi-buffers.js'
import {nginxService} from '../../remedy/service.js'
import {configEvidence, currentNginxEvents, logEvidence} from '../evidence.js'
import {setOrInsert} from '../nginx-setting.js'
import type {Rule, RuleContext} from '../rule.js'
import {siteScope} from '../scope.js'

/** "upstream sent too big header": the response headers exceed fastcgi_buffer_size → 502. */
export const headerBuffer: Rule = {
  id: 'header-buffer',
  diagnose(context: RuleContext): Finding[] {
    const events = currentNginxEvents(context, (event) => event.kind === 'too-big-header')
    if (events.length === 0) return []
    const findings: Finding[] = []
    const done = new Set<FastcgiSite>()
    for (const pairing of context.pairings) {
      const site = pairing.site
      if (done.has(site)) continue
      const mine = events.filter(
        (event) =>
          event.upstream !== undefined &&
          addressMatches(event.upstream, pairing.target) &&
          (event.server === undefined || event.server === '' || site.server.split(' ').includes(event.server)),
      )
      if (mine.length === 0) continue
      done.add(site)
      findings.push(bufferFinding(site, pairing.target, mine, context.policy.buffers))
    }
    return findings
  },
}

function bufferFinding(
  site: FastcgiSite,
  target: Parameters<typeof siteScope>[0]['target'],
  events: Parameters<typeof logEvidence>[0],
  bounds: Policy['buffers'],
): Finding {
  // An unset fastcgi_busy_buffers_size is derived by nginx from the new sizes; only a written one can conflict.
  const busy = site.busyBuffersSize.source === 'default' ? undefined : site.busyBuffersSize.value
  const plan = planBuffers({bufferSize: site.bufferSize.value, buffers: site.buffers.value, busy}, bounds)
  const remedies: Remedy[] = [
    setOrInsert(
      site,
      site.bufferSize,
      'fastcgi_buffer_size',
      [formatNginxSize(plan.bufferSize)],
      `hold response headers up to ${formatNginxSize(plan.bufferSize)}`,
    ),
  ]
  if (plan.buffers) {
    remedies.push(
      setOrInsert(
        site,
        site.buffers,
        'fastcgi_buffers',
        [String(plan.buffers.count), formatNginxSize(plan.buffers.size)],
        'nginx -t requires busy buffers ≤ all fastcgi_buffers minus one',
      ),
    )
  }
  if (plan.busy !== undefined) {
    remedies.push(
      setOrInsert(
        site,
        site.busyBuffersSize,
        'fastcgi_busy_buffers_size',
        [formatNginxSize(plan.busy)],
        'must be ≥ fastcgi_buffer_size',
      ),
    )
  }
  remedies.push(nginxService('reload', 'load the larger FastCGI buffers'))
  return {
    id: 'header-buffer',
    severity: 'critical',
    scope: siteScope({site, target}),
    summary: `php sent response headers larger than fastcgi_buffer_size ${formatNginxSize(site.bufferSize.value)}: ${events.length} request(s) answered 502`,
    evidence: [
      configEvidence('fastcgi_buffer_size', site.bufferSize, formatNginxSize(site.bufferSize.value)),
      configEvidence(
        'fastcgi_buffers',
        site.buffers,
        `${site.buffers.value.count} ${formatNginxSize(site.buffers.value.size)}`,
      ),
      ...logEvidence(events),
    ],
    remedies,
  }
}
