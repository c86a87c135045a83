import {createHash} from 'node:crypto'

import {
  ABSENT,
  PLAN_FORMAT_VERSION,
  summarize,
  type FileChange,
  type HostPlan,
  type PlanDocument,
} from '../../src/model/plan.js'

/** A plan document around some host plans, as `planHosts` makes one (fixed time and version). */
export function planDocument(hosts: HostPlan[]): PlanDocument {
  return {
    formatVersion: PLAN_FORMAT_VERSION,
    kind: 'fpmfix-plan',
    createdAt: '2026-11-23T21:45:00.000Z',
    fpmfixVersion: '0.0.0-test',
    hosts,
    summary: summarize(hosts),
  }
}

/** A host key fingerprint as OpenSSH prints one. */
export const HOST_KEY = {type: 'ssh-ed25519', sha256: 'SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU'}

export function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex')
}

/** A whole-file change as the planner records one; no `before` creates the file. */
export function fileChange(path: string, before: string | undefined, after: string, viaSymlink?: string): FileChange {
  return {
    path,
    ...(viaSymlink === undefined ? {} : {viaSymlink}),
    before: before ?? '',
    after,
    beforeSha256: before === undefined ? ABSENT : sha256(before),
    afterSha256: sha256(after),
    diff: '',
    reasons: ['test'],
  }
}

/** One host's plan with pending changes and actions, the rest empty. */
export function hostPlan(
  host: Pick<HostPlan, 'name' | 'address'>,
  parts: Partial<Pick<HostPlan, 'changes' | 'actions' | 'fingerprints'>>,
): HostPlan {
  return {
    name: host.name,
    address: host.address,
    status: 'changes',
    findings: [],
    changes: parts.changes ?? [],
    actions: parts.actions ?? [],
    fingerprints: parts.fingerprints ?? [],
    notes: [],
  }
}
