import {randomBytes} from 'node:crypto'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import type {RolloutReport} from '../../src/rollout/rollout.js'
import type {VerifyReport} from '../../src/verify/types.js'
import {lockExists} from './apply-lab-helpers.js'
import {versionSocketMismatch} from './lab/faults-502.js'
import {LAB_SITE_AVAILABLE, LAB_WEB_ROOT, type Lab, type LabHost, startLab} from './lab/index.js'
import {
  changedPaths,
  configSnapshot,
  connectionArgs,
  expectSchema,
  type JsonApplyDocument,
  type JsonApplyHost,
  journalEntries,
  planDirectory,
  readPlanFile,
} from './support/apply-cli-helpers.js'
import {acceptedLogins, sshdLog} from './support/host-evidence.js'
import {buildCli, type JsonPlanDocument} from './support/plan-helpers.js'
import {type CliRun, describeRun, runCli} from './support/run-cli.js'

/** One host of `apply --json` with what a rollout and --verify add. */
type RolloutHost = JsonApplyHost & {batch?: number; verify?: VerifyReport; undo?: JsonApplyHost}
type RolloutDocument = Omit<JsonApplyDocument, 'hosts'> & {hosts: RolloutHost[]; rollout?: RolloutReport}

const HOSTS = ['first', 'stale', 'third', 'fourth', 'passes', 'fails'] as const
type Role = (typeof HOSTS)[number]
const ROLLOUT: Role[] = ['first', 'stale', 'third', 'fourth']
const RETESTED: Role[] = ['passes', 'fails']

/** HTTP statuses nginx logged for requests whose line contains `mark`, counted. */
async function accessLogTally(host: LabHost, mark: string): Promise<Record<string, number>> {
  const tally: Record<string, number> = {}
  for (const line of (await host.readFile('/var/log/nginx/access.log')).split('\n')) {
    const status = line.includes(mark) ? /" (\d{3}) /.exec(line)?.[1] : undefined
    if (status !== undefined) tally[status] = (tally[status] ?? 0) + 1
  }
  return tally
}

describe('fpmfix apply PLANFILE as a rollout, through the CLI over SSH', () => {
  let lab: Lab
  let plans: Awaited<ReturnType<typeof planDirectory>>
  const host = (role: Role): LabHost => lab.hosts[HOSTS.indexOf(role)]!

  /** `fpmfix plan HOSTS -o FILE` for several hosts at once: one plan file, hosts in the order named. */
  async function planHosts(roles: Role[], file: string): Promise<string[]> {
    const names = roles.map((role) => host(role).name)
    const run = await runCli<JsonPlanDocument>(['plan', ...connectionArgs(lab), ...names, '--json', '-o', file], {
      timeoutMs: 180_000,
    })
    expectSchema('plan', run)
    expect(
      run.json?.hosts.map((entry) => [entry.name, entry.status]),
      describeRun(run),
    ).toEqual(names.map((name) => [name, 'changes']))
    return (await readPlanFile(file)).hosts.map((entry) => entry.name)
  }

  const apply = async (args: string[]): Promise<CliRun<RolloutDocument>> => {
    const run = await runCli<RolloutDocument>(['apply', ...args], {timeoutMs: 300_000})
    expectSchema('apply', run)
    return run
  }

  const entry = (run: CliRun<RolloutDocument>, role: Role): RolloutHost => {
    const found = run.json?.hosts.find((candidate) => candidate.name === host(role).name)
    if (found === undefined) throw new Error(`no entry for ${host(role).name}\n${describeRun(run)}`)
    return found
  }

  beforeAll(async () => {
    plans = await planDirectory()
    ;[lab] = await Promise.all([startLab({hosts: HOSTS.length, namePrefix: 'rollout'}), buildCli()])
    await Promise.all(HOSTS.map((role) => versionSocketMismatch(host(role))))
  })

  afterAll(async () => {
    await lab?.stop()
    await plans?.cleanup()
  })

  it('--serial 1 --max-fail-percentage 0: a stale host stops the rollout; the hosts after it are never contacted', async () => {
    const file = `${plans.dir}/fleet.json`
    const order = await planHosts(ROLLOUT, file)
    // The second host's plan goes stale: a planned file is edited on it after planning.
    await host('stale').exec(`printf '# edited by hand after the plan\\n' >> ${LAB_SITE_AVAILABLE}`)
    const before = new Map(
      await Promise.all(ROLLOUT.map(async (role) => [role, await configSnapshot(host(role))] as const)),
    )
    const sshdBefore = new Map(
      await Promise.all(ROLLOUT.map(async (role) => [role, (await sshdLog(host(role))).length] as const)),
    )

    const run = await apply([file, '--serial', '1', '--max-fail-percentage', '0', '--json'])

    expect(run.code, describeRun(run)).toBe(12)
    expect(run.json?.rollout, describeRun(run)).toEqual({
      serial: '1',
      maxFailPercentage: 0,
      batches: order.map((name) => [name]),
      stopped: {batch: 2, attempted: 2, failed: 1, reason: '1 of 2 hosts attempted failed (50% > 0%)'},
    })
    expect(entry(run, 'first'), describeRun(run)).toMatchObject({status: 'applied', batch: 1})
    expect(entry(run, 'stale'), describeRun(run)).toMatchObject({status: 'refused-stale', batch: 2})
    expect(entry(run, 'stale').stale).toContain(LAB_SITE_AVAILABLE)
    expect(entry(run, 'stale').steps.map((step) => step.name)).not.toContain('write')
    for (const [role, batch] of [
      ['third', 3],
      ['fourth', 4],
    ] as const) {
      expect(entry(run, role), describeRun(run)).toEqual({
        name: host(role).name,
        address: '127.0.0.1',
        batch,
        status: 'skipped',
        steps: [],
        note: 'rollout stopped in batch 2: 1 of 2 hosts attempted failed (50% > 0%)',
      })
    }
    expect(run.json?.summary.statuses).toEqual({applied: 1, 'refused-stale': 1, skipped: 2})

    // Applied before the failure: fixed. The stale host: refused with nothing written.
    expect((await host('first').http('/index.php')).status).toBe(200)
    expect(changedPaths(before.get('stale')!, await configSnapshot(host('stale')))).toEqual([])
    expect((await host('stale').http('/index.php')).status).toBe(502)
    expect(await lockExists(host('stale'))).toBe(false)
    // Not started: every config file byte-identical, still broken, no login, no journal.
    for (const role of ['third', 'fourth'] as const) {
      const target = host(role)
      expect(changedPaths(before.get(role)!, await configSnapshot(target)), role).toEqual([])
      expect((await target.http('/index.php')).status, role).toBe(502)
      expect((await sshdLog(target)).slice(sshdBefore.get(role)), `${role}: sshd saw nothing`).toEqual([])
      expect(await journalEntries(target), role).toEqual([])
    }

    // Again, as text on a pipe: the first host is already applied, the stale one stops the rollout again.
    const text = await apply([file, '--serial', '1'])
    expect(text.code, describeRun(text)).toBe(12)
    const lines = text.stdout.trimEnd().split('\n')
    expect(lines).toContain(`${host('first').name}: already applied (batch 1/4)`)
    expect(lines).toContain(`${host('stale').name}: refused-stale (batch 2/4)`)
    expect(lines).toContain(`${host('third').name}: skipped (not started) (batch 3/4)`)
    expect(lines.at(-2)).toBe(
      'rollout stopped in batch 2/4: 1 of 2 hosts attempted failed (50% > 0%); 2 hosts not started, left untouched',
    )
    expect(lines.at(-1)).toMatch(/^4 hosts: 1 already-applied, 1 refused-stale, 2 skipped; findings: /)
    // Piped progress: one line per batch, every step line naming its host.
    expect(text.stderr).toContain(`batch 1/4: ${host('first').name}`)
    expect(text.stderr).toMatch(new RegExp(`${host('stale').name}: check the plan is current`))
    expect(text.stderr).toContain('batch 3/4 not started (rollout stopped in batch 2')
    for (const role of ['third', 'fourth'] as const) {
      expect(acceptedLogins((await sshdLog(host(role))).slice(sshdBefore.get(role))), role).toEqual([])
    }
  })

  it('--verify: each host is retested under load after it commits; a failed retest rolls that host back', async () => {
    const file = `${plans.dir}/retest.json`
    await planHosts(RETESTED, file)
    // The retest route answers 200 on one host and 500 on the other once PHP runs again (502 on both now).
    await host('passes').writeFile(`${LAB_WEB_ROOT}/retest.php`, '<?php echo "ok\\n";\n')
    await host('fails').writeFile(`${LAB_WEB_ROOT}/retest.php`, '<?php http_response_code(500); echo "broken\\n";\n')
    const before = await configSnapshot(host('fails'))
    const mark = `run=${randomBytes(6).toString('hex')}`

    const run = await apply([
      file,
      '--serial',
      '1',
      '--verify',
      '--url',
      `/retest.php?${mark}`,
      '-n',
      '40',
      '-c',
      '4',
      '--json',
    ])

    expect(run.code, describeRun(run)).toBe(4)
    expect(run.json?.rollout?.stopped, describeRun(run)).toMatchObject({batch: 2, attempted: 2, failed: 1})
    const passed = entry(run, 'passes')
    expect(passed, describeRun(run)).toMatchObject({
      status: 'applied',
      batch: 1,
      verify: {status: 'passed', from: 'host', load: {concurrency: 4, requests: 40}},
    })
    expect(passed.verify!.routes).toMatchObject([{requests: 40, statuses: {200: 40}, passed: true}])
    expect(await accessLogTally(host('passes'), mark)).toEqual({200: 40})
    expect((await host('passes').http('/index.php')).status).toBe(200)

    const failed = entry(run, 'fails')
    expect(failed, describeRun(run)).toMatchObject({
      status: 'rolled-back',
      batch: 2,
      failedStep: 'verify',
      verify: {status: 'failed', routes: [{requests: 40, statuses: {500: 40}, serverErrors: 40, passed: false}]},
      undo: {status: 'undone', undid: failed.txid},
    })
    expect(failed.output).toContain('40 of 40 requests failed (500×40)')
    expect(await accessLogTally(host('fails'), mark)).toEqual({500: 40})
    // The committed change was undone: every config file as before the apply, the site broken as it was.
    expect(changedPaths(before, await configSnapshot(host('fails')))).toEqual([])
    expect((await host('fails').http('/index.php')).status).toBe(502)
    expect(await lockExists(host('fails'))).toBe(false)
    expect(await journalEntries(host('fails'))).toEqual(expect.arrayContaining([failed.txid, failed.undo!.txid]))
  })
})
