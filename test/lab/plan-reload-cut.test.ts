import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {waitFor} from './lab/wait.js'
import {FPM_SERVICE, type Lab, type LabHost, LAB_WEB_ROOT, startLab} from './lab/index.js'
import {applyPlanFile, planDirectory, savePlan} from './support/apply-cli-helpers.js'
import {buildCli, problems, runPlan} from './support/plan-helpers.js'

const FPM_CONF = '/etc/php/8.2/fpm/php-fpm.conf'

/** A request that keeps working for 2 s whatever signal its worker gets, and says when it has begun. */
const BUSY_PHP = `<?php
touch('/tmp/busy-' . basename($_GET['mark']));
$end = microtime(true) + 2;
while (microtime(true) < $end) usleep(50000);
echo 'busy done';
`

/**
 * Debian's php-fpm leaves process_control_timeout at 0: a reload (a deploy's `service php8.2-fpm
 * reload`) ends busy workers at once and nginx answers 502 for every request in flight.
 */
describe('plan on php-fpm reloads cutting requests in flight', () => {
  let lab: Lab
  let plans: Awaited<ReturnType<typeof planDirectory>>
  const build = buildCli()

  beforeAll(async () => {
    plans = await planDirectory()
    lab = await startLab({hosts: 1, namePrefix: 'reloadcut'})
    await lab.hosts[0]!.writeFile(`${LAB_WEB_ROOT}/busy.php`, BUSY_PHP, 0o644)
  })

  afterAll(async () => {
    await lab?.stop()
    await plans?.cleanup()
    await build.catch(() => undefined)
  })

  /** The status of a request that php-fpm is serving (its script has begun) when php-fpm reloads. */
  async function reloadDuringRequest(host: LabHost, mark: string): Promise<number> {
    const request = host.http(`/busy.php?mark=${mark}`)
    await waitFor(async () => (await host.exec(`test -e /tmp/busy-${mark}`, {allowFail: true})).code === 0, {
      timeoutMs: 30_000,
      what: `the request ${mark} to reach its PHP script on ${host.name}`,
    })
    await host.exec(`service ${FPM_SERVICE} reload`)
    return (await request).status
  }

  it('finds the cut, sets process_control_timeout, and the next reload lets the request finish', async () => {
    const host = lab.hosts[0]!
    expect(await host.readFile(FPM_CONF)).toMatch(/^;process_control_timeout = 0$/m)
    expect(await reloadDuringRequest(host, 'before')).toBe(502)

    await build
    const plan = await savePlan(lab, host, `${plans.dir}/${host.name}.json`, {detailedExitcode: true})
    const report = JSON.stringify(plan.json, null, 2)
    expect(plan.run.code, report).toBe(2)
    expect(
      problems(plan.json).map((finding) => finding.id),
      report,
    ).toEqual(['reload-cuts-requests'])
    expect(plan.saved.changes.map((change) => change.path)).toEqual([FPM_CONF])
    expect(plan.saved.changes[0]!.after).toMatch(/^process_control_timeout = 10s$/m)

    const applied = await applyPlanFile(lab, host, plan.file)
    expect(applied.run.code, applied.report).toBe(0)
    expect(applied.host.status, applied.report).toBe('applied')

    expect(await reloadDuringRequest(host, 'after')).toBe(200)
    const again = await runPlan(lab, host, {detailedExitcode: true})
    expect(problems(again.json), JSON.stringify(again.json, null, 2)).toEqual([])
    expect(again.exitCode).toBe(0)
  })
})
