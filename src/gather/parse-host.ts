import type {HostSnapshot, InitSystem, SelinuxMode} from '../model/snapshot.js'
import {optionalText} from '../protocol/frames.js'

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

/** What getenforce would say: the kernel's enforce flag, or 'disabled' where SELinux tools or its filesystem exist. */
export function detectSelinux(env: Map<string, string>): SelinuxMode {
  const enforce = env.get('selinux_enforce')?.trim()
  if (enforce === '1') return 'enforcing'
  if (enforce === '0') return 'permissive'
  if (env.get('selinux_fs') === '1' || env.get('have_getenforce') === '1') return 'disabled'
  return 'absent'
}

export function toolsFrom(env: Map<string, string>): Record<string, boolean> {
  const tools: Record<string, boolean> = {}
  for (const [key, value] of env) {
    if (key.startsWith('have_')) tools[key.slice('have_'.length)] = value === '1'
  }
  return tools
}

export function osFrom(osRelease: string | undefined, machine: {kernel?: string; arch?: string}): HostSnapshot['os'] {
  const release = parseOsRelease(osRelease ?? '')
  return {
    id: optionalText(release.get('ID')),
    idLike: (release.get('ID_LIKE') ?? '').split(/\s+/).filter((id) => id !== ''),
    versionId: optionalText(release.get('VERSION_ID')),
    prettyName: optionalText(release.get('PRETTY_NAME')),
    kernel: optionalText(machine.kernel),
    arch: optionalText(machine.arch),
  }
}

/** CPUs this process may run on (as nproc counts them), from /proc/self/status `Cpus_allowed_list: 0-3,8`. */
export function cpusFrom(allowed: string | undefined): number | undefined {
  let cpus = 0
  for (const range of (allowed ?? '').trim().split(',')) {
    const match = /^(\d+)(?:-(\d+))?$/.exec(range)
    if (match === null) continue
    cpus += Number(match[2] ?? match[1]) - Number(match[1]) + 1
  }
  return cpus > 0 ? cpus : undefined
}

export interface HostClock {
  /** ISO 8601 UTC, 'YYYY-MM-DDTHH:MM:SSZ'. */
  utc: string
  /** 'YYYY-MM-DD HH:MM:SS' in the host's time zone. */
  local: string
  /** e.g. '+0100'. */
  offset: string
}

/** `date '+%Y-%m-%d %H:%M:%S %z'` as the host printed it. */
export function parseHostClock(text: string | undefined): HostClock | undefined {
  const match = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d) ([+-])(\d\d)(\d\d)$/.exec(text?.trim() ?? '')
  if (match === null) return undefined
  const [, day = '', time = '', sign = '+', hours = '0', minutes = '0'] = match
  const offsetMs = (sign === '-' ? -1 : 1) * (Number(hours) * 60 + Number(minutes)) * 60_000
  const utcMs = Date.parse(`${day}T${time}Z`) - offsetMs
  if (Number.isNaN(utcMs)) return undefined
  return {
    utc: new Date(utcMs).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    local: `${day} ${time}`,
    offset: `${sign}${hours}${minutes}`,
  }
}
