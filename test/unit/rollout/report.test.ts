import {describe, expect, it} from 'vitest'

import type {ApplyResult} from '../../../src/apply/types.js'
import {applyExitCode} from '../../../src/exit-codes.js'
import {applyHostExits, applyJson, renderApplyText, type ApplyReport} from '../../../src/render/apply-text.js'
import {afterFailedRetest, type Retest, type RetestedResult} from '../../../src/rollout/retest.js'
import {routeReport} from '../../../src/verify/report.js'
import {schemaProblems} from '../../support/json-schemas.js'
import {DIAL, ROUTE, sampleOf, target} from '../verify/support/outcomes.js'

const retestOf = (statuses: Record<string, number>): Retest => {
  const route = routeReport(ROUTE, DIAL, sampleOf(statuses))
  return {
    status: route.passed ? 'passed' : 'failed',
    from: 'host',
    load: {concurrency: 4, requests: 40, timeoutMs: 30_000},
    routes: [route],
  }
}

const applied = (txid: string): ApplyResult => ({status: 'applied', txid, steps: [{name: 'commit', ms: 3}]})
const undo: ApplyResult = {status: 'undone', txid: 'u1', undid: 't2', steps: [{name: 'lock', ms: 1}], note: 'restored'}

/** `apply PLANFILE --serial 1,50% --verify` over five hosts: one passes, one fails its retest, one cannot undo, the rest. */
function rolloutReport(): ApplyReport {
  const ok = (name: string, value: RetestedResult) => ({target: target(name), ok: true as const, value, durationMs: 5})
  return {
    outcomes: [
      ok('web1', {...applied('t1'), verify: retestOf({200: 40})}),
      ok('web2', afterFailedRetest(applied('t2'), retestOf({200: 10, 500: 30}), undo)),
      ok(
        'web3',
        afterFailedRetest(
          applied('t3'),
          {status: 'error', error: {code: 'VERIFY_LOAD_FAILED', message: 'no PHP CLI'}},
          {
            status: 'rolled-back',
            txid: 'u3',
            failedStep: 'action-0',
            output: 'nginx: reload failed',
            steps: [],
          },
        ),
      ),
      ok('quiet', {status: 'unchanged', steps: []}),
    ],
    notStarted: [
      {
        target: target('web4'),
        batch: 3,
        reason: 'rollout stopped in batch 2: 2 of 3 hosts attempted failed (66.7% > 0%)',
      },
    ],
    skipped: [{name: 'web5', address: 'web5.example.com', reason: 'not selected by --limit web[1:4]'}],
    rollout: {
      serial: '1,50%',
      maxFailPercentage: 0,
      batches: [['web1'], ['web2', 'web3'], ['web4']],
      stopped: {batch: 2, attempted: 3, failed: 2, reason: '2 of 3 hosts attempted failed (66.7% > 0%)'},
    },
  }
}

describe('a rollout with --verify, reported', () => {
  it('--json: batches per host, the retest figures, the undo, hosts not started; every field in the published schema', () => {
    const document = JSON.parse(JSON.stringify({formatVersion: 1, ...applyJson(rolloutReport())})) as {
      hosts: Array<Record<string, unknown>>
      rollout: unknown
      summary: {statuses: Record<string, number>; text: string}
    }
    expect(schemaProblems('apply', document, {closedObjects: true})).toEqual([])
    expect(document.hosts.map((host) => [host.name, host.status, host.batch])).toEqual([
      ['web1', 'applied', 1],
      ['web2', 'rolled-back', 2],
      ['web3', 'rollback-failed', 2],
      ['quiet', 'unchanged', undefined],
      ['web4', 'skipped', 3],
      ['web5', 'skipped', undefined],
    ])
    expect(document.hosts[1]).toMatchObject({
      failedStep: 'verify',
      verify: {status: 'failed', routes: [{statuses: {200: 10, 500: 30}, serverErrors: 30, passed: false}]},
      undo: {status: 'undone', txid: 'u1'},
    })
    expect(document.hosts[4]).toMatchObject({note: expect.stringContaining('rollout stopped in batch 2')})
    expect(document.rollout).toEqual(rolloutReport().rollout)
    expect(document.summary.statuses).toEqual({
      applied: 1,
      'rolled-back': 1,
      'rollback-failed': 1,
      unchanged: 1,
      skipped: 2,
    })
  })

  it('text: each host’s batch and retest, how the rollout ended, and the counts last', () => {
    const text = renderApplyText(rolloutReport())
    const lines = text.trimEnd().split('\n')
    expect(lines).toContain('web1: applied (batch 1/3)')
    expect(lines).toContain('  retest under load (40 requests, 4 at a time, from the host): passed')
    expect(text).toMatch(
      / {4}http:\/\/shop\.example\.com\/index\.php: 40 requests, 200×40, 0 connection errors, 0 timeouts, p50\/p95\/p99 2\.0ms\/2\.0ms\/2\.0ms, 20\.0 req\/s/,
    )
    expect(lines).toContain('web2: rolled-back (batch 2/3)')
    expect(lines).toContain('  | http://shop.example.com/index.php: 30 of 40 requests failed (200×10 500×30)')
    expect(lines).toContain('  the retest under load failed: transaction t2 was rolled back by transaction u1')
    expect(lines).toContain('  retest: could not run: [VERIFY_LOAD_FAILED] no PHP CLI')
    expect(lines).toContain('  | undo: nginx: reload failed')
    expect(lines).toContain('web4: skipped (not started) (batch 3/3)')
    expect(lines).toContain('web5: skipped (not selected by --limit web[1:4])')
    expect(lines.at(-2)).toBe(
      'rollout stopped in batch 2/3: 2 of 3 hosts attempted failed (66.7% > 0%); 1 host not started, left untouched',
    )
    expect(lines.at(-1)).toBe('6 hosts: 1 applied, 1 rolled-back, 1 rollback-failed, 1 unchanged, 2 skipped')
  })

  it('exits 12 when hosts were not started, 5 before that when an undo did not complete', () => {
    const report = rolloutReport()
    expect(applyExitCode(applyHostExits(report))).toBe(5)
    report.outcomes.splice(2, 1)
    expect(applyExitCode(applyHostExits(report))).toBe(12)
    expect(applyExitCode(applyHostExits({...report, notStarted: []}))).toBe(4)
  })

  it('a rollout that ran every batch says so, and adds nothing for an apply without rollout flags', () => {
    const report = {
      ...rolloutReport(),
      notStarted: [],
      rollout: {maxFailPercentage: 50, batches: [['web1', 'web2', 'web3']]},
    }
    expect(renderApplyText(report)).toContain('\nrollout: 1 batch, every host attempted\n')
    const lastFailed = {...rolloutReport(), notStarted: []}
    expect(renderApplyText(lastFailed)).toContain(
      '\nrollout: 3 batches, every host attempted; the failed share went over the limit: 2 of 3 hosts attempted failed (66.7% > 0%)\n',
    )
    const plain = {outcomes: rolloutReport().outcomes}
    expect(renderApplyText(plain)).not.toContain('batch')
    expect(applyJson(plain)).not.toHaveProperty('rollout')
  })
})
