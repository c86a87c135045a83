import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {type Lab, LAB_WEB_ROOT, startLab} from './lab/index.js'
import {buildCli, runPlan} from './support/plan-helpers.js'

/**
 * A script sending a header nginx refuses (a control byte in its name) gets a 502 that no setting
 * explains. plan must not call the host healthy: it names nginx's error and the request, changes
 * nothing, and --detailed-exitcode says a critical finding is left unfixed.
 */
describe('plan on a 502 no rule knows', () => {
  let lab: Lab
  const build = buildCli()

  beforeAll(async () => {
    lab = await startLab({hosts: 1, namePrefix: 'unknown'})
  })

  afterAll(async () => {
    await lab?.stop()
    await build.catch(() => undefined)
  })

  it('reports unknown-upstream-error with nginx’s own line, and exits 9', async () => {
    const host = lab.hosts[0]!
    await host.writeFile(`${LAB_WEB_ROOT}/bad-header.php`, '<?php header("X-A\\x01B: 1"); echo "x";\n')
    expect((await host.http('/bad-header.php')).status).toBe(502)
    expect((await host.http('/index.php')).status).toBe(200)

    await build
    const plan = await runPlan(lab, host, {detailedExitcode: true})
    const report = JSON.stringify(plan.json.findings, null, 2)
    expect(
      plan.json.findings.map((finding) => [finding.id, finding.severity]),
      report,
    ).toEqual([['unknown-upstream-error', 'critical']])
    const [finding] = plan.json.findings
    expect(finding!.summary).toContain('upstream sent invalid header')
    expect(finding!.summary).toContain('GET /bad-header.php')
    expect(finding!.evidence.map((item) => item.text).join('\n')).toMatch(/upstream sent invalid header: "X-A\\x01/)
    expect(plan.json.changes).toEqual([])
    expect(plan.exitCode).toBe(9)
  })
})
