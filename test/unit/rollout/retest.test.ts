import {describe, expect, it} from 'vitest'

import type {ApplyResult} from '../../../src/apply/types.js'
import {buildFacts} from '../../../src/facts/build-facts.js'
import {probeUrlFor} from '../../../src/plan/verification.js'
import {
  afterFailedRetest,
  probeRoute,
  retestedTransaction,
  retestFailure,
  type Retest,
} from '../../../src/rollout/retest.js'
import {routeReport} from '../../../src/verify/report.js'
import {deriveRoutes} from '../../../src/verify/routes.js'
import {snapshotFromLayout} from '../../support/snapshot-from-layout.js'
import {LAYOUTS} from '../nginx/layouts.js'
import {DIAL, ROUTE, sampleOf} from '../verify/support/outcomes.js'

const retestOf = (...samples: Array<ReturnType<typeof sampleOf>>): Retest => {
  const routes = samples.map((sample) => routeReport(ROUTE, DIAL, sample))
  return {
    status: routes.every((route) => route.passed) ? 'passed' : 'failed',
    from: 'host',
    load: {concurrency: 4, requests: 40, timeoutMs: 30_000},
    routes,
  }
}

const applied: ApplyResult = {status: 'applied', txid: '20260101T000000Z-aaaaaaaa', steps: [{name: 'lock', ms: 2}]}
const undone: ApplyResult = {status: 'undone', txid: '20260101T000100Z-bbbbbbbb', steps: [], undid: applied.txid!}

describe('the routes a retest loads when no --url is given: the plan’s HTTP probes', () => {
  it('dials each server block’s probe address with its Host header, as verify dials that block', () => {
    let compared = 0
    for (const layout of LAYOUTS) {
      for (const site of buildFacts(snapshotFromLayout(layout)).facts.nginx?.sites ?? []) {
        const probe = probeUrlFor(site)
        if (probe === undefined) continue
        const {fastcgiPass: _pass, ...derived} = deriveRoutes([site], [], 'web1')[0]!
        expect(probeRoute(probe), `${layout} ${site.file}:${site.line}`).toEqual(derived)
        compared += 1
      }
    }
    expect(compared).toBeGreaterThan(5)
  })

  it('keeps a query string in the path', () => {
    expect(probeRoute({url: 'http://127.0.0.1:81/health.php?full=1', hostHeader: 'app'})).toEqual({
      url: 'http://app/health.php?full=1',
      hostDial: {host: '127.0.0.1', port: 81},
      path: '/health.php?full=1',
      hostHeader: 'app',
      source: 'server-block',
    })
  })
})

describe('which transaction a retest checks', () => {
  it('is the one this apply committed, or the one that applied the same plan before; none otherwise', () => {
    expect(retestedTransaction(applied)).toBe(applied.txid)
    expect(retestedTransaction({status: 'already-applied', txid: 'x', appliedBy: 'y', steps: []})).toBe('y')
    for (const status of ['rolled-back', 'refused-stale', 'locked', 'failed', 'unchanged'] as const)
      expect(retestedTransaction({status, txid: 'x', steps: []}), status).toBeUndefined()
  })
})

describe('a failed retest', () => {
  it('names each failing route with its answers, connection errors and timeouts', () => {
    const retest = retestOf(sampleOf({200: 10}), sampleOf({200: 30, 500: 8}, {closed: 1, timeout: 1}))
    expect(retestFailure(retest)).toBe(
      'http://shop.example.com/index.php: 10 of 40 requests failed (200×30 500×8, 1 connection errors, 1 timeouts)',
    )
  })

  it('that could not run says why', () => {
    const retest: Retest = {status: 'error', error: {code: 'VERIFY_LOAD_FAILED', message: 'no PHP CLI on the host'}}
    expect(retestFailure(retest)).toBe('the retest could not run: [VERIFY_LOAD_FAILED] no PHP CLI on the host')
  })

  it('once undone, leaves the host rolled-back at step verify, with the retest and the undo kept', () => {
    const retest = retestOf(sampleOf({500: 40}))
    expect(afterFailedRetest(applied, retest, undone)).toEqual({
      ...applied,
      status: 'rolled-back',
      failedStep: 'verify',
      output: 'http://shop.example.com/index.php: 40 of 40 requests failed (500×40)',
      verify: retest,
      undo: undone,
      note: `the retest under load failed: transaction ${applied.txid} was rolled back by transaction ${undone.txid}`,
    })
  })

  it('undone on an already-applied host names the earlier transaction it undid', () => {
    const earlier: ApplyResult = {status: 'already-applied', txid: 'now', appliedBy: 'before', steps: []}
    const result = afterFailedRetest(earlier, retestOf(sampleOf({502: 3})), undone)
    expect(result.status).toBe('rolled-back')
    expect(result.note).toContain('transaction before was rolled back')
  })

  it('whose undo did not commit is rollback-failed: the rejected change is still in place', () => {
    const retest = retestOf(sampleOf({504: 2}))
    const stale: ApplyResult = {status: 'refused-stale', txid: 'u', staleReasons: ['/etc/x changed'], steps: []}
    expect(afterFailedRetest(applied, retest, stale)).toMatchObject({
      status: 'rollback-failed',
      failedStep: 'verify',
      rollbackStep: 'undo: refused-stale',
      note: `the retest under load failed and undoing transaction ${applied.txid} did not complete (refused-stale): the change is still in place`,
    })
    const lost: ApplyResult = {status: 'failed', failedStep: 'undo', output: 'lost track of transaction u', steps: []}
    expect(afterFailedRetest(applied, retest, lost)).toMatchObject({
      status: 'rollback-failed',
      rollbackStep: 'undo: failed at undo',
      note: expect.stringContaining('(lost track of transaction u)'),
    })
  })
})
