import type {HostSnapshot, InitSystem, SelinuxMode} from '../../../src/model/snapshot.js'
import {optionalInt, optionalText} from '../../../src/protocol/frames.js'

/** /etc/os-release: KEY=value with optional shell-style quotes. */
export function parseOsRelease(text: string): Map<string, string> {
  const values = new Map<string, string>()
  for (const line of text.split('\n')) {
    const match = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim())
    if (match === null) continue
    let value = match[2] ?? ''
    const quoted = /^"(.*)"$/.exec(value) ?? /^'(.*)'$/.exec(value)
    if (quoted !== null) value = (quoted[1] ?? '').replace(/\\(["$`\\])/g, '$1')
    values.set(match[1] ?? '', value)
  }
  return values
}

/** /proc/meminfo values in kB, keyed by field name. */
export function parseMeminfo(text: string): Map<string, number> {
  const values = new Map<string, number>()
  for (const line of text.split('\n')) {
    const match = /^([A-Za-z0-9_()]+):\s+(\d+)/.exec(line)
    if (match !== null) values.set(match[1] ?? '', Number(match[2]))
  }
  return values
}

export function parseLoadAverage(text: string): [number, number, number] | undefined {
  const [one, five, fifteen] = text.trim().split(/\s+/).map(Number)
  if (one === undefined || five === undefined || fifteen === undefined) return undefined
  if ([one, five, fifteen].some((value) => Number.isNaN(value))) return undefined
  return [one, five, fifteen]
}

export function detectInitSystem(env: Map<string, string>): InitSystem {
  if (env.get('systemd_running') === '1') return 'systemd'
  if (env.get('openrc_running') === '1') return 'openrc'
  if (env.get('initd') === '1' && env.get('have_rc-service') === '1') return 'openrc'
  if (env.get('initd') === '1') return 'sysv'
  return 'none'
}

export function detectSelinux(env: Map<string, string>): SelinuxMode {
  const reported = env.get('selinux_getenforce')?.trim().toLowerCase()
  if (reported === 'enforcing' || reported === 'permissive' || reported === 'disabled') return reported
  const enforce = env.get('selinux_enforce')?.trim()
  if (enforce === '1') return 'enforcing'
  if (enforce === '0') return 'permissive'
  if (env.get('selinux_fs') === '1') return 'disabled'
  return 'absent'
}

export function toolsFrom(env: Map<string, string>): Record<string, boolean> {
  const tools: Record<string, boolean> = {}
  for (const [key, value] of env) {
    if (key.startsWith('have_')) tools[key.slice('have_'.length)] = value === '1'
  }
  return tools
}

export function osFrom(env: Map<string, string>, osRelease: string | undefined): HostSnapshot['os'] {
  const release = parseOsRelease(osRelease ?? '')
  return {
    id: optionalText(release.get('ID')),
    idLike: (release.get('ID_LIKE') ?? '').split(/\s+/).filter((id) => id !== ''),
    versionId: optionalText(release.get('VERSION_ID')),
    prettyName: optionalText(release.get('PRETTY_NAME')),
    kernel: optionalText(env.get('kernel')),
    arch: optionalText(env.get('arch')),
  }
}

export function cpusFrom(env: Map<string, string>): number | undefined {
  const cpus = optionalInt(env.get('nproc'))
  return cpus !== undefined && cpus > 0 ? cpus : undefined
}
