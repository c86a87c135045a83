import {mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'

import {PLAN_FORMAT_VERSION, type PlanDocument} from '../../../src/model/plan.js'
import {loadPlan, parsePlan, planAgeHours, savePlan} from '../../../src/plan/plan-file.js'
import {fpmfixError, fpmfixRejection} from '../../support/fpmfix-error.js'
import {planDocument} from '../../support/plan-document.js'
import {snapshotFromLayout} from '../../support/snapshot-from-layout.js'
import {planFor} from '../diagnose/support/pipeline.js'

const dir = mkdtempSync(join(tmpdir(), 'fpmfix-plan-file-'))
afterAll(() => rmSync(dir, {recursive: true, force: true}))

const host = planFor(snapshotFromLayout('debian-php82', {fpmLayout: 'fpm-invalid', stopped: ['php8.2-fpm']}))
const plan: PlanDocument = planDocument([host])

describe('plan file', () => {
  it('saves and loads back the same plan: changes with their bytes, actions, fingerprints', async () => {
    const path = join(dir, 'roundtrip.plan')
    await savePlan(path, plan)
    const loaded = await loadPlan(path)
    expect(loaded).toEqual(plan)
    expect(loaded.hosts[0]!.changes[0]!.before).toBe(host.changes[0]!.before)
    expect(loaded.hosts[0]!.fingerprints.length).toBeGreaterThan(0)
  })

  it('is private to its owner (it holds config contents) and leaves no temporary file behind', async () => {
    const path = join(dir, 'private.plan')
    await savePlan(path, plan)
    expect(statSync(path).mode & 0o777).toBe(0o600)
    expect(readdirSync(dir).filter((name) => name.endsWith('.tmp'))).toEqual([])
  })

  it('a missing file: PLAN_FILE_NOT_FOUND (exit 65), with a hint to make a plan first', async () => {
    const error = await fpmfixRejection(loadPlan(join(dir, 'nope.plan')))
    expect(error.code).toBe('PLAN_FILE_NOT_FOUND')
    expect(error.message).toBe(`plan file ${join(dir, 'nope.plan')} not found`)
    expect(error.hint).toContain('-o PLANFILE')
  })

  it('a directory: PLAN_FILE_NOT_FOUND saying it is a directory', async () => {
    const error = await fpmfixRejection(loadPlan(dir))
    expect(error.code).toBe('PLAN_FILE_NOT_FOUND')
    expect(error.message).toBe(`${dir} is a directory, not a plan file`)
  })

  it('not JSON: PLAN_FILE_INVALID naming the file', async () => {
    const path = join(dir, 'garbage.plan')
    writeFileSync(path, 'diff --git a/x b/x\n')
    const error = await fpmfixRejection(loadPlan(path))
    expect(error.code).toBe('PLAN_FILE_INVALID')
    expect(error.message).toContain(`${path} is not a plan file`)
  })

  it('JSON that is not an fpmfix plan (e.g. the --json output): PLAN_FILE_INVALID', () => {
    const error = fpmfixError(() =>
      parsePlan(JSON.stringify({formatVersion: 1, hosts: [], summary: plan.summary}), 'out.json'),
    )
    expect(error.code).toBe('PLAN_FILE_INVALID')
    expect(error.message).toBe('out.json is not an fpmfix plan (no "kind": "fpmfix-plan")')
  })

  it('another format version: PLAN_FILE_VERSION, telling both versions and what to do', () => {
    const error = fpmfixError(() =>
      parsePlan(JSON.stringify({...plan, formatVersion: PLAN_FORMAT_VERSION + 1}), 'new.plan'),
    )
    expect(error.code).toBe('PLAN_FILE_VERSION')
    expect(error.message).toBe(
      `new.plan has plan format ${PLAN_FORMAT_VERSION + 1}; this fpmfix reads format ${PLAN_FORMAT_VERSION}`,
    )
    expect(error.hint).toBe('Re-create the plan with this version of fpmfix.')
  })

  it('a host entry without its changes, actions or fingerprints: PLAN_FILE_INVALID pointing at it', () => {
    const {fingerprints: _dropped, ...incomplete} = host
    const error = fpmfixError(() => parsePlan(JSON.stringify({...plan, hosts: [host, incomplete]}), 'cut.plan'))
    expect(error.code).toBe('PLAN_FILE_INVALID')
    expect(error.message).toBe('cut.plan: hosts[1] is missing name, changes, actions or fingerprints')
    expect(fpmfixError(() => parsePlan(JSON.stringify({...plan, hosts: undefined}), 'cut.plan')).message).toBe(
      'cut.plan has no "hosts" list',
    )
  })

  it('a saved file stays loadable byte for byte (what apply reads is what plan wrote)', async () => {
    const path = join(dir, 'bytes.plan')
    await savePlan(path, plan)
    expect(parsePlan(readFileSync(path, 'utf8'), path)).toEqual(plan)
  })

  it('age in hours, unknown creation time as infinitely old', () => {
    expect(planAgeHours(plan, Date.parse('2026-11-24T03:45:00.000Z'))).toBe(6)
    expect(planAgeHours({...plan, createdAt: 'yesterday-ish'})).toBe(Number.POSITIVE_INFINITY)
  })
})
