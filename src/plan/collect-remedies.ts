import type {Finding, Remedy, ServiceActionKind, ServiceTarget} from '../model/finding.js'

export type FpmSet = Extract<Remedy, {kind: 'fpm-set'}>
export type NginxEdit = Extract<Remedy, {kind: 'nginx-set' | 'nginx-insert'}>

export interface CollectedRemedies {
  fpm: FpmSet[]
  nginx: NginxEdit[]
  services: Array<{target: ServiceTarget; action: ServiceActionKind; reasons: string[]}>
}

const STRENGTH: Record<ServiceActionKind, number> = {reload: 0, restart: 1, start: 2}

function serviceKey(target: ServiceTarget): string {
  return target.kind === 'nginx' ? 'nginx' : `php-fpm:${target.install}`
}

/**
 * One remedy per setting across all findings. Two findings asking for different
 * numbers for the same php-fpm key (a pm repair and a memory-based raise) get the
 * larger; otherwise the more severe finding (listed first) wins.
 */
export function collectRemedies(findings: Finding[]): CollectedRemedies {
  const fpm = new Map<string, FpmSet>()
  const nginx = new Map<string, NginxEdit>()
  const services = new Map<string, {target: ServiceTarget; action: ServiceActionKind; reasons: string[]}>()
  for (const remedy of findings.flatMap((finding) => finding.remedies)) {
    if (remedy.kind === 'fpm-set') {
      const key = `${remedy.install}\0${remedy.pool}\0${remedy.key}`
      const existing = fpm.get(key)
      const numeric = /^\d+$/.test(remedy.value) && existing !== undefined && /^\d+$/.test(existing.value)
      if (existing === undefined || (numeric && Number(remedy.value) > Number(existing.value))) fpm.set(key, remedy)
    } else if (remedy.kind === 'service') {
      const key = serviceKey(remedy.target)
      const existing = services.get(key)
      if (existing === undefined)
        services.set(key, {target: remedy.target, action: remedy.action, reasons: [remedy.reason]})
      else {
        if (STRENGTH[remedy.action] > STRENGTH[existing.action]) existing.action = remedy.action
        if (!existing.reasons.includes(remedy.reason)) existing.reasons.push(remedy.reason)
      }
    } else {
      const key = `${remedy.kind}\0${remedy.file}\0${remedy.line}\0${remedy.directive}`
      if (!nginx.has(key)) nginx.set(key, remedy)
    }
  }
  return {fpm: [...fpm.values()], nginx: [...nginx.values()], services: [...services.values()]}
}
