import {readFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'
import {describe, expect, it} from 'vitest'

import {writeErrorJson} from '../../../src/cli/base-command.js'
import {FpmfixError} from '../../../src/errors.js'
import {FINDING_IDS} from '../../../src/model/finding.js'
import type {HostPlan, PlanDocument} from '../../../src/model/plan.js'
import type {HostConnection, HostTarget} from '../../../src/model/target.js'
import {failedHostPlan} from '../../../src/plan/plan-hosts.js'
import {applyJson, type ApplyOutcome, type ApplyReport} from '../../../src/render/apply-text.js'
import {planJson} from '../../../src/render/plan-text.js'
import {schemaProblems} from '../../support/json-schemas.js'
import {snapshotFromLayout} from '../../support/snapshot-from-layout.js'
import {planFor} from '../diagnose/support/pipeline.js'
import {HOST_KEY, planDocument} from '../../support/plan-document.js'

const SSH: HostConnection = {
  connection: 'ssh',
  become: true,
  ssh: {
    name: 'web1',
    address: '10.0.0.5',
    port: 22,
    user: 'deploy',
    privateKeyFile: '/home/ops/.ssh/id_ed25519',
    knownHostsFile: '/home/ops/.ssh/known_hosts',
    hostKey: HOST_KEY,
  },
  jumpHosts: [{name: 'bastion', address: '203.0.113.9', port: 2222, user: 'jump', hostKey: HOST_KEY}],
}

/** Plans the real pipeline makes from fixture layouts: broken (changes), healthy, crashing, failed, and a local one. */
function realPlan(): PlanDocument {
  const broken = {
    ...planFor(snapshotFromLayout('debian-multi-php', {installs: ['php8.2-fpm'], stopped: ['nginx']})),
    connection: SSH,
  }
  const healthy = {...planFor(snapshotFromLayout('rhel-remi')), connection: {...SSH, jumpHosts: undefined}}
  const apps = planFor(snapshotFromLayout('apps'))
  const local: HostPlan = {
    ...planFor(snapshotFromLayout('alpine-php82')),
    name: 'localhost',
    connection: {connection: 'local', become: false, machine: 'build-01'},
  }
  const failed = failedHostPlan(
    {name: 'web3', connection: 'ssh', address: '192.0.2.13', vars: {}},
    new FpmfixError('SSH_CONNECT_REFUSED', 'connect ECONNREFUSED 192.0.2.13:22', {hint: 'Is sshd running?'}),
  )
  return planDocument(
    [broken, healthy, apps, local, failed].map((host) => JSON.parse(JSON.stringify(host)) as HostPlan),
  )
}

/** What a consumer reads: the printed document after a JSON round trip (formatVersion as base-command adds it). */
const printed = (document: Record<string, unknown>): Record<string, unknown> =>
  JSON.parse(JSON.stringify({formatVersion: 1, ...document})) as Record<string, unknown>

const target = (name: string): HostTarget => ({name, connection: 'ssh', address: `${name}.example.com`, vars: {}})

function realApply(plan: PlanDocument): ApplyReport {
  const outcome = (
    name: string,
    value: ApplyOutcome extends infer O ? (O extends {ok: true; value: infer V} ? V : never) : never,
  ): ApplyOutcome => ({
    target: target(name),
    ok: true,
    value,
    durationMs: 12,
  })
  const lock = {
    txid: '20261123T221500Z-ab12cd34',
    pid: 4242,
    owner: 'ops@ci',
    started: '2026-11-23T22:15:00Z',
    alive: true,
  }
  const outcomes: ApplyOutcome[] = [
    outcome('debian-multi-php', {
      status: 'applied',
      txid: lock.txid,
      steps: [
        {name: 'lock', ms: 3},
        {name: 'commit', ms: 1},
      ],
    }),
    outcome('rhel-remi', {status: 'unchanged', steps: []}),
    outcome('a', {
      status: 'rolled-back',
      txid: lock.txid,
      failedStep: 'validate',
      output: 'nginx: [emerg]',
      steps: [],
      log: 'x',
    }),
    outcome('b', {status: 'rollback-failed', rollbackStep: 'services', steps: [], note: 'restore by hand'}),
    outcome('c', {status: 'refused-stale', stale: ['/etc/nginx/nginx.conf'], steps: [{name: 'lock', ms: 2}]}),
    outcome('d', {status: 'locked', lock, steps: []}),
    outcome('e', {status: 'applied', recoveredLock: {...lock, pid: undefined, alive: false}, steps: []}),
    {
      target: target('f'),
      ok: false,
      durationMs: 3,
      error: new FpmfixError('PLAN_HOSTKEY_MISMATCH', 'f presented another key', {
        host: 'f',
        details: {planned: HOST_KEY},
      }),
    },
  ]
  return {plan, outcomes, skipped: [{name: 'g', address: 'g.example.com', reason: 'not selected by --limit web*'}]}
}

describe('published JSON Schemas (src/schemas/*.schema.json) against what the commands print', () => {
  const plan = realPlan()

  it('plan --json and show --json: every field printed is in the schema, every required one is printed', () => {
    const document = printed(planJson(plan))
    expect((document.hosts as unknown[]).length).toBe(5)
    expect(schemaProblems('plan', document, {closedObjects: true})).toEqual([])
  })

  it('apply --json and rollback --json: every status, a skipped host, a failed host', () => {
    expect(schemaProblems('apply', printed(applyJson(realApply(plan))), {closedObjects: true})).toEqual([])
    expect(schemaProblems('apply', printed(applyJson({outcomes: []})), {closedObjects: true})).toEqual([])
  })

  it('plan and apply summaries have the same shape', () => {
    const planSummary = printed(planJson(plan)).summary as Record<string, unknown>
    const applySummary = printed(applyJson(realApply(plan))).summary as Record<string, unknown>
    expect(Object.keys(applySummary).sort()).toEqual(Object.keys(planSummary).sort())
  })

  it('error documents (usage, bad plan file) match either schema', () => {
    let text = ''
    const write = process.stdout.write
    process.stdout.write = ((chunk: string) => ((text += chunk), true)) as typeof process.stdout.write
    try {
      writeErrorJson(new FpmfixError('PLAN_FILE_NOT_FOUND', 'plan file x.plan not found', {hint: 'Check the path.'}))
    } finally {
      process.stdout.write = write
    }
    const document = JSON.parse(text) as unknown
    expect(schemaProblems('plan', document, {closedObjects: true})).toEqual([])
    expect(schemaProblems('apply', document, {closedObjects: true})).toEqual([])
  })

  it('catch a renamed, dropped or retyped field', () => {
    const renamed = printed(planJson(plan))
    const finding = (renamed.hosts as Array<{findings: Array<Record<string, unknown>>}>)[0]!.findings[0]!
    finding.level = finding.severity
    delete finding.severity
    expect(schemaProblems('plan', renamed).join('\n')).toMatch(/severity/)

    const dropped = printed(applyJson(realApply(plan)))
    delete (dropped.summary as Record<string, unknown>).hostsToChange
    expect(schemaProblems('apply', dropped).join('\n')).toMatch(/hostsToChange/)

    const oldShape = {...printed(applyJson(realApply(plan))), summary: '2 hosts: 2 applied'}
    expect(schemaProblems('apply', oldShape)).not.toEqual([])
  })

  it('list exactly the stable finding ids', () => {
    const schema = JSON.parse(
      readFileSync(fileURLToPath(new URL('../../../src/schemas/plan.schema.json', import.meta.url)), 'utf8'),
    ) as {
      $defs: {finding: {properties: {id: {enum: string[]}}}}
    }
    expect(schema.$defs.finding.properties.id.enum).toEqual([...FINDING_IDS])
  })
})
