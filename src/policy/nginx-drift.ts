import {describeSite} from '../facts/pairing.js'
import type {DesiredValue} from '../model/desired.js'
import type {FastcgiSite, Sourced} from '../model/facts.js'
import type {Remedy} from '../model/finding.js'
import type {DriftItem} from '../model/plan.js'
import {
  childrenNamed,
  fastcgiBuffersProblem,
  formatNginxDuration,
  formatNginxSize,
  type NginxConfig,
} from '../nginx/index.js'
import {planBuffers} from '../remedy/fastcgi-buffers.js'
import {nginxService} from '../remedy/service.js'
import type {DesiredChange} from './desired-change.js'
import {nginxArgs, readNginxSetting, type NginxSettingName} from './nginx-values.js'

type Buffers = {count: number; size: number}

/** A site's effective value of one setting, in the unit readNginxSetting gives (ms, bytes, buffers). */
function siteSetting(site: FastcgiSite, name: NginxSettingName): Sourced<number | Buffers> {
  switch (name) {
    case 'fastcgi_read_timeout':
      return {...site.readTimeout, value: site.readTimeout.value * 1000}
    case 'fastcgi_connect_timeout':
      return {...site.connectTimeout, value: site.connectTimeout.value * 1000}
    case 'fastcgi_send_timeout':
      return {...site.sendTimeout, value: site.sendTimeout.value * 1000}
    case 'fastcgi_buffer_size':
      return site.bufferSize
    case 'fastcgi_buffers':
      return site.buffers
    case 'fastcgi_busy_buffers_size':
      return site.busyBuffersSize as Sourced<number>
  }
}

function same(a: number | Buffers, b: number | Buffers): boolean {
  return typeof a === 'number' || typeof b === 'number' ? a === b : a.count === b.count && a.size === b.size
}

function show(name: NginxSettingName, value: number | Buffers): string {
  if (typeof value !== 'number') return `${value.count} ${formatNginxSize(value.size)}`
  return name.endsWith('_timeout') ? formatNginxDuration(value) : formatNginxSize(value)
}

/** What a site needs besides the policy's values so `nginx -t` accepts its buffers (the header-buffer repair's own adjustment). */
function bufferFollowUps(
  site: FastcgiSite,
  wanted: Map<NginxSettingName, number | Buffers>,
): Map<NginxSettingName, number | Buffers> | string {
  const bufferSize = (wanted.get('fastcgi_buffer_size') as number | undefined) ?? site.bufferSize.value
  const buffers = (wanted.get('fastcgi_buffers') as Buffers | undefined) ?? site.buffers.value
  const written = site.busyBuffersSize.source === 'default' ? undefined : site.busyBuffersSize.value
  const busy = (wanted.get('fastcgi_busy_buffers_size') as number | undefined) ?? written
  const problem = fastcgiBuffersProblem({bufferSize, buffers, ...(busy === undefined ? {} : {busy})})
  if (problem === undefined) return new Map()
  if (!wanted.has('fastcgi_buffer_size') || (wanted.has('fastcgi_buffers') && wanted.has('fastcgi_busy_buffers_size')))
    return `nginx -t would fail: ${problem}`
  const exact = {minBufferSizeKb: bufferSize / 1024, maxBufferSizeKb: bufferSize / 1024}
  const plan = planBuffers({bufferSize: site.bufferSize.value, buffers, busy}, exact)
  const extra = new Map<NginxSettingName, number | Buffers>()
  if (plan.buffers) extra.set('fastcgi_buffers', plan.buffers)
  if (plan.busy !== undefined) extra.set('fastcgi_busy_buffers_size', plan.busy)
  if ([...extra.keys()].some((key) => wanted.has(key))) return `nginx -t would fail: ${problem}`
  return extra
}

function argsOf(name: NginxSettingName, value: number | Buffers): string[] {
  return nginxArgs(show(name, value))
}

/**
 * The FastCGI settings every PHP location must have in effect. A location whose value comes from
 * a directive gets that directive changed (one edit for every location sharing it); locations on
 * nginx's default get one directive in the http block, where every one of them inherits it. Buffer
 * settings nginx checks together are completed the way the header-buffer repair does.
 */
export function nginxDrift(
  sites: FastcgiSite[],
  config: NginxConfig | undefined,
  settings: DesiredValue[],
): DesiredChange[] {
  const http = config === undefined ? undefined : childrenNamed(config.directives, 'http')[0]
  const changes = new Map<string, DesiredChange>()
  for (const site of sites) {
    const wanted = new Map<NginxSettingName, number | Buffers>(
      settings.map((setting) => [
        setting.key as NginxSettingName,
        readNginxSetting(setting.key as NginxSettingName, nginxArgs(setting.value)),
      ]),
    )
    const followUps = bufferFollowUps(site, wanted)
    const policyOf = (name: NginxSettingName) =>
      (
        settings.find((setting) => setting.key === name) ??
        settings.find((setting) => setting.key === 'fastcgi_buffer_size')!
      ).at
    const all = typeof followUps === 'string' ? wanted : new Map([...wanted, ...followUps])
    for (const [name, value] of all) {
      const current = siteSetting(site, name)
      if (same(current.value, value)) continue
      const item: DriftItem = {
        what: `${name} (${describeSite(site)})`,
        where: current.source === 'default' ? {file: site.file, line: site.line} : current.source,
        wanted: show(name, value),
        found:
          current.source === 'default' ? `${show(name, current.value)} (nginx default)` : show(name, current.value),
        policy: policyOf(name),
      }
      if (typeof followUps === 'string') {
        const key = `refused\0${site.file}:${site.line}\0${name}`
        changes.set(key, {drift: [{...item, unresolved: followUps}], remedies: []})
        continue
      }
      const place =
        current.source === 'default'
          ? http === undefined
            ? undefined
            : {file: http.file, line: http.line}
          : current.source
      if (place === undefined) {
        changes.set(`none\0${site.file}:${site.line}\0${name}`, {
          drift: [{...item, unresolved: 'no http block to set it in'}],
          remedies: [],
        })
        continue
      }
      const key = `${current.source === 'default' ? 'insert' : 'set'}\0${place.file}:${place.line}\0${name}`
      const existing = changes.get(key)
      if (existing !== undefined) {
        existing.drift.push(item)
        continue
      }
      const remedy: Remedy = {
        kind: current.source === 'default' ? 'nginx-insert' : 'nginx-set',
        file: place.file,
        line: place.line,
        directive: name,
        args: argsOf(name, value),
        reason: wanted.has(name)
          ? `policy ${item.policy.file}:${item.policy.line}`
          : 'nginx -t requires it with the policy’s fastcgi_buffer_size',
      }
      changes.set(key, {
        drift: [item],
        remedies: [remedy, nginxService('reload', 'load the desired FastCGI settings')],
      })
    }
  }
  return [...changes.values()]
}
