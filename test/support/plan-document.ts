import {PLAN_FORMAT_VERSION, summarize, type HostPlan, type PlanDocument} from '../../src/model/plan.js'

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
