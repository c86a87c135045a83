import {readFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'

import {FpmfixError} from '../../../src/errors.js'
import {FINDING_IDS} from '../../../src/model/finding.js'
import {PLAN_FORMAT_VERSION} from '../../../src/model/plan.js'
import {failedHostPlan} from '../../../src/plan/plan-hosts.js'
import {planJson} from '../../../src/render/plan-text.js'
import {snapshotFromLayout} from '../../support/snapshot-from-layout.js'
import {planFor} from '../diagnose/support/pipeline.js'
import {planDocument} from '../../support/plan-document.js'

const broken = planFor(snapshotFromLayout('debian-multi-php', {installs: ['php8.2-fpm'], stopped: ['nginx']}))
const healthy = planFor(snapshotFromLayout('rhel-remi'))
const failed = failedHostPlan(
  {name: 'web3', connection: 'ssh', address: '192.0.2.13', vars: {}},
  new FpmfixError('SSH_CONNECT_REFUSED', 'connect ECONNREFUSED 192.0.2.13:22', {hint: 'Is sshd running on the host?'}),
)
/** What a consumer of `plan --json` reads: the document after a JSON round trip. */
const json = JSON.parse(JSON.stringify(planJson(planDocument([broken, healthy, failed])))) as Record<string, unknown>

const isString = (value: unknown) => typeof value === 'string' && value !== ''

describe('plan --json document', () => {
  it('has formatVersion, hosts and summary at the top', () => {
    expect(json.formatVersion).toBe(PLAN_FORMAT_VERSION)
    expect(Array.isArray(json.hosts)).toBe(true)
    expect(json.summary).toMatchObject({
      hosts: 3,
      toChange: 1,
      unchanged: 1,
      failed: 1,
      statuses: {changes: 1, unchanged: 1, failed: 1},
      hostsToChange: ['debian-multi-php'],
      criticalUnfixed: [],
    })
    const summary = json.summary as {findings: Record<string, number>; text: string}
    const findings = broken.findings.concat(healthy.findings)
    expect(summary.findings).toEqual({
      critical: findings.filter((finding) => finding.severity === 'critical').length,
      warning: findings.filter((finding) => finding.severity === 'warning').length,
      info: findings.filter((finding) => finding.severity === 'info').length,
    })
    expect(summary.text).toMatch(
      /^3 hosts: 1 to change \(debian-multi-php\), 1 unchanged, 1 failed; findings: \d+ critical/,
    )
  })

  it('every host has name, address, status, findings, changes and actions', () => {
    const hosts = json.hosts as Array<Record<string, unknown>>
    expect(hosts.map((host) => [host.name, host.address, host.status])).toEqual([
      ['debian-multi-php', '192.0.2.10', 'changes'],
      ['rhel-remi', '192.0.2.10', 'unchanged'],
      ['web3', '192.0.2.13', 'failed'],
    ])
    for (const host of hosts) {
      expect(Array.isArray(host.findings) && Array.isArray(host.changes) && Array.isArray(host.actions)).toBe(true)
    }
    expect(hosts[2]!.error).toEqual({
      code: 'SSH_CONNECT_REFUSED',
      message: 'connect ECONNREFUSED 192.0.2.13:22',
      hint: 'Is sshd running on the host?',
    })
  })

  it('findings: id from the stable vocabulary, severity, scope text, summary, evidence list', () => {
    const findings = (json.hosts as Array<{findings: Array<Record<string, unknown>>}>)[0]!.findings
    expect(findings.length).toBeGreaterThan(0)
    for (const finding of findings) {
      expect(FINDING_IDS).toContain(finding.id)
      expect(['critical', 'warning', 'info']).toContain(finding.severity)
      expect(isString(finding.scope) && isString(finding.summary)).toBe(true)
      const evidence = finding.evidence as Array<Record<string, unknown>>
      expect(evidence.length).toBeGreaterThan(0)
      for (const item of evidence) expect(isString(item.kind) && isString(item.text)).toBe(true)
    }
  })

  it('the README findings table has one row per finding id, and no other', () => {
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8')
    const table = readme.slice(readme.indexOf('## Findings'), readme.indexOf('## Exit codes'))
    const rows = [...table.matchAll(/^\| `([a-z-]+)` \|/gm)].map((match) => match[1])
    expect([...rows].sort()).toEqual([...FINDING_IDS].sort())
  })

  it('changes carry path and a unified diff; actions carry service and action, in apply order', () => {
    const host = (
      json.hosts as Array<{changes: Array<Record<string, unknown>>; actions: Array<Record<string, unknown>>}>
    )[0]!
    expect(host.changes.map((change) => change.path)).toEqual(broken.changes.map((change) => change.path))
    for (const change of host.changes)
      expect(String(change.diff)).toMatch(
        /^diff --git a\/etc\/\S+ b\/etc\/\S+\n--- a\/etc\/\S+\n\+\+\+ b\/etc\/\S+\n@@ /,
      )
    expect(host.actions.map((action) => [action.service, action.action])).toEqual([['nginx', 'start']])
  })

  it('does not carry whole file texts (they stay in the saved plan file)', () => {
    const text = JSON.stringify(json)
    expect(broken.changes[0]!.before.length).toBeGreaterThan(200)
    expect(text.includes(JSON.stringify(broken.changes[0]!.before).slice(1, -1))).toBe(false)
  })
})
