import {expect} from 'vitest'

import {
  effectivePool,
  parseFpmFiles,
  predictFpmTest,
  type EffectivePool,
  type FpmConfigSource,
} from '../../../src/fpm/index.js'
import type {FileChange, HostPlan} from '../../../src/model/plan.js'
import type {HostSnapshot} from '../../../src/model/snapshot.js'
import {splitNginxDump} from '../../../src/nginx/index.js'
import {ABSENT} from '../../../src/plan/fingerprints.js'
import {planFromSnapshot} from '../../../src/plan/plan-from-snapshot.js'
import {parsePolicy} from '../../../src/plan/policy-file.js'
import {snapshotFromLayout, type LayoutName, type LayoutOptions} from '../../support/snapshot-from-layout.js'

export const POLICY_FILE = 'fleet.ini'

export function planWith(snapshot: HostSnapshot, policyText: string): HostPlan {
  const policy = parsePolicy(policyText, POLICY_FILE)
  return planFromSnapshot({name: snapshot.hostname, connection: 'ssh', address: '192.0.2.10', vars: {}}, snapshot, {
    policy,
  }).plan
}

/** The plan's change to `path` (or to the symlink named `path`). */
export function changeTo(plan: HostPlan, path: string): FileChange {
  const change = plan.changes.find((candidate) => candidate.path === path || candidate.viaSymlink === path)
  if (change === undefined)
    throw new Error(`no change to ${path}; changed: ${plan.changes.map((candidate) => candidate.path).join(', ')}`)
  return change
}

/**
 * A host built from a fixture layout that plans are applied to, one after the other: changed and
 * created files in place (each change must start from the file's current bytes), retired services
 * stopped, and each acted-on php-fpm read from its new files (its -tt would say what they say).
 */
export function appliedHost(layout: LayoutName, options: LayoutOptions = {}) {
  const files = new Map<string, string>()
  const created = new Map<string, string>()
  const stopped = new Set(options.stopped ?? [])
  const tt: NonNullable<LayoutOptions['tt']> = {...options.tt}
  const snapshot = (): HostSnapshot =>
    snapshotFromLayout(layout, {
      ...options,
      files: Object.fromEntries([...files].map(([path, content]) => [path, () => content])),
      addFiles: Object.fromEntries(created),
      tt,
      stopped: [...stopped],
    })
  const apply = (plan: HostPlan): HostSnapshot => {
    const current = snapshot()
    const bytes = (path: string) =>
      created.get(path) ??
      files.get(path) ??
      [
        ...current.fpmInstalls.flatMap((install) => install.files),
        ...splitNginxDump(current.nginx.present ? current.nginx.configDump.stdout : ''),
      ].find((file) => file.path === path)?.content
    for (const change of plan.changes) {
      if (change.beforeSha256 === ABSENT) {
        expect(bytes(change.path), `${change.path} must not exist yet`).toBeUndefined()
        created.set(change.path, change.after)
        continue
      }
      const path = change.viaSymlink ?? change.path
      expect(bytes(path), `${path} changed since the plan was made`).toBe(change.before)
      if (created.has(path)) created.set(path, change.after)
      else files.set(path, change.after)
    }
    for (const action of plan.actions) {
      if (action.action === 'stop') stopped.add(action.service)
      else if (action.target.kind === 'php-fpm') tt[action.service] = {code: null, output: ''}
    }
    return snapshot()
  }
  return {snapshot, apply}
}

/** The host as it is once the plan is applied to the fixture layout. */
export function afterApply(layout: LayoutName, plan: HostPlan, options: LayoutOptions = {}): HostSnapshot {
  return appliedHost(layout, options).apply(plan)
}

/** An install's config files as php-fpm will read them once the plan is written. */
export function plannedSource(snapshot: HostSnapshot, plan: HostPlan, service: string): FpmConfigSource {
  const install = snapshot.fpmInstalls.find((entry) => entry.serviceName === service)
  if (install === undefined) throw new Error(`no install ${service}`)
  const files = install.files.map((file) => {
    const change = plan.changes.find((candidate) => candidate.path === file.path)
    return {path: file.path, content: change ? change.after : file.content!}
  })
  for (const change of plan.changes)
    if (change.beforeSha256 === ABSENT && !files.some((file) => file.path === change.path))
      files.push({path: change.path, content: change.after})
  return parseFpmFiles(files, install.mainConfigPath, {prefix: install.prefix})
}

/** A pool as php-fpm will read it once the plan is written. */
export function plannedPool(snapshot: HostSnapshot, plan: HostPlan, service: string, pool: string): EffectivePool {
  const version = snapshot.fpmInstalls.find((entry) => entry.serviceName === service)?.versionNumber
  return effectivePool(plannedSource(snapshot, plan, service), undefined, pool, version ? {phpVersion: version} : {})
}

/** php-fpm -t (as far as it can be told from the files) accepts what the plan writes for this install. */
export function expectFpmAccepts(snapshot: HostSnapshot, plan: HostPlan, service: string): void {
  const prediction = predictFpmTest(plannedSource(snapshot, plan, service), {
    users: new Set(snapshot.users.map((user) => user.name)),
    groups: new Set(snapshot.groups.map((group) => group.name)),
  })
  expect(prediction.errors, `${service}: php-fpm -t on the planned files`).toEqual([])
}

export function actionsOf(plan: HostPlan): string[] {
  return plan.actions.map((action) => `${action.action} ${action.service}`)
}
