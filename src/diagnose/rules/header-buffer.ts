import {addressMatches} from '../../facts/pairing.js'
import type {Finding, Remedy} from '../../model/finding.js'
import {DEFAULT_POLICY, type Policy} from '../../model/policy.js'
import type {FastcgiSite} from '../../model/facts.js'
import {derivedBusyBuffers, maxBusyBuffers, minBusyBuffers} from '../../nginx/fastcgi-buffers.js'
import {configEvidence, currentNginxEvents, logEvidence} from '../evidence.js'
import {setOrInsert} from '../nginx-setting.js'
import type {Rule, RuleContext} from '../rule.js'
import {siteScope} from '../scope.js'

const KB = 1024

export function formatSize(bytes: number): string {
  return bytes % (1024 * KB) === 0 ? `${bytes / (1024 * KB)}m` : bytes % KB === 0 ? `${bytes / KB}k` : String(bytes)
}

export interface BufferPlan {
  bufferSize: number
  buffers?: {count: number; size: number}
  busy?: number
}

/**
 * A fastcgi_buffer_size big enough for the headers seen, and fastcgi_buffers /
 * fastcgi_busy_buffers_size adjusted only as far as `nginx -t`'s own checks require:
 * busy ≥ max(buffer_size, one buffer) and busy ≤ all buffers minus one. `busy` is the
 * written value; unset, nginx derives it as twice the larger of buffer_size and one buffer.
 */
export function planBuffers(
  current: {bufferSize: number; buffers: {count: number; size: number}; busy: number | undefined},
  bounds: Policy['buffers'] = DEFAULT_POLICY.buffers,
): BufferPlan {
  const bufferSize = Math.min(
    bounds.maxBufferSizeKb * KB,
    Math.max(bounds.minBufferSizeKb * KB, current.bufferSize * 2),
  )
  const plan: BufferPlan = {bufferSize}
  let {count, size} = current.buffers
  const busyFor = (one: number) => plan.busy ?? current.busy ?? derivedBusyBuffers(bufferSize, one)
  // A written busy size moves only when it falls below the new minimum.
  if (current.busy !== undefined && current.busy < minBusyBuffers(bufferSize, size))
    plan.busy = derivedBusyBuffers(bufferSize, size)
  if (busyFor(size) > maxBusyBuffers({count, size})) {
    size = Math.max(size, bufferSize / 2)
    if (plan.busy !== undefined) plan.busy = derivedBusyBuffers(bufferSize, size)
    count = Math.max(count, Math.ceil(busyFor(size) / size) + 1)
    plan.buffers = {count, size}
  }
  return plan
}

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
      [formatSize(plan.bufferSize)],
      `hold response headers up to ${formatSize(plan.bufferSize)}`,
    ),
  ]
  if (plan.buffers) {
    remedies.push(
      setOrInsert(
        site,
        site.buffers,
        'fastcgi_buffers',
        [String(plan.buffers.count), formatSize(plan.buffers.size)],
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
        [formatSize(plan.busy)],
        'must be ≥ fastcgi_buffer_size',
      ),
    )
  }
  remedies.push({kind: 'service', target: {kind: 'nginx'}, action: 'reload', reason: 'load the larger FastCGI buffers'})
  return {
    id: 'header-buffer',
    severity: 'critical',
    scope: siteScope({site, target}),
    summary: `php sent response headers larger than fastcgi_buffer_size ${formatSize(site.bufferSize.value)}: ${events.length} request(s) answered 502`,
    evidence: [
      configEvidence('fastcgi_buffer_size', site.bufferSize, formatSize(site.bufferSize.value)),
      configEvidence(
        'fastcgi_buffers',
        site.buffers,
        `${site.buffers.value.count} ${formatSize(site.buffers.value.size)}`,
      ),
      ...logEvidence(events),
    ],
    remedies,
  }
}
