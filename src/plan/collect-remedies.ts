import type {Finding, Remedy, ServiceActionKind, ServiceTarget} from '../model/finding.js'

export type FpmSet = Extract<Remedy, {kind: 'fpm-set'}>
export type FpmPool = Extract<Remedy, {kind: 'fpm-pool'}>
export type NginxEdit = Extract<Remedy, {kind: 'nginx-set' | 'nginx-insert'}>

export interface CollectedRemedies {
  fpm: FpmSet[]
  /** Pool sections to create before their directives are set. */
  fpmPools: FpmPool[]
  nginx: NginxEdit[]
  services: Array<{target: ServiceTarget; action: ServiceActionKind; reasons: string[]}>
}

/** Which request wins when two remedies act on one service; stopping (retiring it) overrides the rest. */
const STRENGTH: Record<ServiceActionKind, number> = {reload: 0, restart: 1, start: 2, stop: 3}

function serviceKey(target: ServiceTarget): string {
  return target.kind === 'nginx' ? 'nginx' : `php-fpm:${target.install}`
}

function fpmKey(remedy: FpmSet): string {
  return `${remedy.install}\0${remedy.pool}\0${remedy.key}`
}

function nginxKey(remedy: NginxEdit): string {
  return `${remedy.kind}\0${remedy.file}\0${remedy.line}\0${remedy.directive}`
}

/** What a remedy acts on: two remedies with one key are one edit once collected. */
export function remedyKey(remedy: Exclude<Remedy, {kind: 'service'}>): string {
  if (remedy.kind === 'fpm-set') return `fpm-set\0${fpmKey(remedy)}`
  if (remedy.kind === 'fpm-pool') return `fpm-pool\0${remedy.install}\0${remedy.pool}`
  return nginxKey(remedy)
}

/**
 * One remedy per setting across all findings. Two findings asking for different
 * numbers for the same php-fpm key (a pm repair and a memory-based raise) get the
 * larger; otherwise the more severe finding (listed first) wins. `desired` are the
 * remedies a policy's desired state asks for: what the policy states is what the
 * operator decided, so they replace a finding's remedy for the same setting.
 */
export function collectRemedies(findings: Finding[], desired: Remedy[] = []): CollectedRemedies {
  const fpm = new Map<string, FpmSet>()
  const fpmPools = new Map<string, FpmPool>()
  const nginx = new Map<string, NginxEdit>()
  const services = new Map<string, {target: ServiceTarget; action: ServiceActionKind; reasons: string[]}>()
  const addService = (remedy: Extract<Remedy, {kind: 'service'}>) => {
    const key = serviceKey(remedy.target)
    const existing = services.get(key)
    if (existing === undefined)
      services.set(key, {target: remedy.target, action: remedy.action, reasons: [remedy.reason]})
    else {
      if (STRENGTH[remedy.action] > STRENGTH[existing.action]) existing.action = remedy.action
      if (!existing.reasons.includes(remedy.reason)) existing.reasons.push(remedy.reason)
    }
  }
  /** `decided`: the policy states it, so it replaces what a finding asked for the same setting. */
  const add = (remedy: Remedy, decided: boolean) => {
    if (remedy.kind === 'service') addService(remedy)
    else if (remedy.kind === 'fpm-pool') fpmPools.set(`${remedy.install}\0${remedy.pool}`, remedy)
    else if (remedy.kind === 'fpm-set') {
      const existing = fpm.get(fpmKey(remedy))
      const numeric = /^\d+$/.test(remedy.value) && existing !== undefined && /^\d+$/.test(existing.value)
      if (decided || existing === undefined || (numeric && Number(remedy.value) > Number(existing.value)))
        fpm.set(fpmKey(remedy), remedy)
    } else if (decided || !nginx.has(nginxKey(remedy))) nginx.set(nginxKey(remedy), remedy)
  }
  for (const remedy of findings.flatMap((finding) => finding.remedies)) add(remedy, false)
  for (const remedy of desired) add(remedy, true)
  return {
    fpm: [...fpm.values()],
    fpmPools: [...fpmPools.values()],
    nginx: [...nginx.values()],
    services: [...services.values()],
  }
}
