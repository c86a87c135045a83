import {DEFAULT_POLICY} from '../../../../src/model/policy.js'
import {diffArrays} from 'diff'
import {expect} from 'vitest'

import {effectivePool, parseFpmFiles, type EffectivePool} from '../../../../src/fpm/index.js'
import type {Finding, FindingId} from '../../../../src/model/finding.js'
import type {FileChange, HostPlan} from '../../../../src/model/plan.js'
import type {HostSnapshot} from '../../../../src/model/snapshot.js'
import {
  effectiveFastcgiSettings,
  findFastcgiPasses,
  formatNginxDump,
  parseNginxDump,
  parseNginxSize,
  splitNginxDump,
  type NginxConfig,
} from '../../../../src/nginx/index.js'
import {planFromSnapshot} from '../../../../src/plan/plan-from-snapshot.js'

export const WINDOW_MINUTES = 60

export function planFor(snapshot: HostSnapshot, windowMinutes = WINDOW_MINUTES): HostPlan {
  const policy = {...DEFAULT_POLICY, windowMinutes}
  return planFromSnapshot({name: snapshot.hostname, connection: 'ssh', address: '192.0.2.10', vars: {}}, snapshot, {
    policy,
  }).plan
}

export function findingsOf(plan: HostPlan, id: FindingId): Finding[] {
  return plan.findings.filter((finding) => finding.id === id)
}

export function onlyFinding(plan: HostPlan, id: FindingId): Finding {
  const found = findingsOf(plan, id)
  expect(
    found,
    `${id} findings: ${plan.findings.map((finding) => `${finding.id}: ${finding.summary}`).join(' | ')}`,
  ).toHaveLength(1)
  return found[0]!
}

/** Findings that say something is wrong now or soon. */
export function problems(plan: HostPlan): Finding[] {
  return plan.findings.filter((finding) => finding.severity !== 'info')
}

export function changeOf(plan: HostPlan, path: string): FileChange {
  const change = plan.changes.find((candidate) => candidate.path === path)
  if (!change)
    throw new Error(
      `no change to ${path}; changed: ${plan.changes.map((candidate) => candidate.path).join(', ') || 'none'}`,
    )
  return change
}

/** The nginx config as it would be after the plan: the dump with every changed file's new bytes, re-parsed. */
export function nginxAfter(snapshot: HostSnapshot, plan: HostPlan): NginxConfig {
  if (!snapshot.nginx.present) throw new Error('no nginx in the snapshot')
  const files = splitNginxDump(snapshot.nginx.configDump.stdout).map((file) => {
    const change = plan.changes.find((candidate) => candidate.path === file.path || candidate.viaSymlink === file.path)
    if (change) expect(change.before).toBe(file.content)
    return change ? {path: file.path, content: change.after} : file
  })
  return parseNginxDump(formatNginxDump(files))
}

/** A pool as php-fpm would read it from the files after the plan (no -tt: it has not run on them yet). */
export function poolAfter(snapshot: HostSnapshot, plan: HostPlan, service: string, pool: string): EffectivePool {
  const install = snapshot.fpmInstalls.find((entry) => entry.serviceName === service)
  if (!install) throw new Error(`no install ${service}`)
  const files = install.files.map((file) => {
    const change = plan.changes.find((candidate) => candidate.path === file.path)
    if (change) expect(change.before).toBe(file.content)
    return {path: file.path, content: change ? change.after : file.content!}
  })
  return effectivePool(parseFpmFiles(files, install.mainConfigPath, {prefix: install.prefix}), undefined, pool, {
    phpVersion: install.versionNumber ?? '',
  })
}

/** The FastCGI settings in force at every fastcgi_pass of `file` (the path nginx -T names). */
export function fastcgiAt(config: NginxConfig, file: string) {
  return findFastcgiPasses(config)
    .filter((pass) => pass.file === file)
    .map((pass) => {
      const settings = effectiveFastcgiSettings(config, pass.treePath)
      return {
        pass,
        settings,
        bufferSize: parseNginxSize(settings.fastcgi_buffer_size.value[0]!),
        buffers: {
          count: Number(settings.fastcgi_buffers.value[0]),
          size: parseNginxSize(settings.fastcgi_buffers.value[1]!),
        },
        busy: parseNginxSize(settings.fastcgi_busy_buffers_size.value[0]!),
      }
    })
}

/** Lines with their endings kept. */
export function linesOf(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? []
}

/**
 * How `after` differs from `before`, line by line: replaced lines (same count) or inserted
 * lines (one contiguous run). Throws when the edit is anything else.
 */
export function lineEdit(
  before: string,
  after: string,
): {replaced: Array<{line: number; from: string; to: string}>; inserted: {line: number; text: string[]} | undefined} {
  const a = linesOf(before)
  const b = linesOf(after)
  if (a.length === b.length) {
    const replaced = a.flatMap((line, index) =>
      line === b[index] ? [] : [{line: index + 1, from: line, to: b[index]!}],
    )
    return {replaced, inserted: undefined}
  }
  let head = 0
  while (head < a.length && a[head] === b[head]) head++
  const count = b.length - a.length
  if (count <= 0 || a.slice(head).join('') !== b.slice(head + count).join(''))
    throw new Error('the edit is neither in-place line changes nor one inserted run')
  return {replaced: [], inserted: {line: head + 1, text: b.slice(head, head + count)}}
}

/**
 * The lines an edit removed and added (whole lines, endings kept), found by a line diff:
 * when these are exactly the intended lines, every other byte of the file is unchanged.
 */
export function lineChanges(before: string, after: string): {removed: string[]; added: string[]} {
  const removed: string[] = []
  const added: string[] = []
  for (const part of diffArrays(linesOf(before), linesOf(after))) {
    if (part.removed) removed.push(...part.value)
    else if (part.added) added.push(...part.value)
  }
  return {removed, added}
}
