import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {type Lab, LAB_WEB_ROOT, startLab} from './lab/index.js'
import {buildCli, runPlan} from './support/plan-helpers.js'

/**
 * A worker that dies on SIGSEGV takes its request with it (nginx: connection reset, 502).
 * No setting fixes a crash, so plan must name it with evidence, propose no change, and say it is left unfixed.
 */
describe('plan on a php-fpm worker crashing with SIGSEGV', () => {
  let lab: Lab
  const build = buildCli()

  beforeAll(async () => {
    lab = await startLab({hosts: 1, namePrefix: 'crash'})
  })

  afterAll(async () => {
    await lab?.stop()
    await build.catch(() => undefined)
  })

  it('reports fpm-crashing with the crash and the lost request as evidence, and changes nothing', async () => {
    const host = lab.hosts[0]!
    await host.writeFile(`${LAB_WEB_ROOT}/segv.php`, '<?php posix_kill(getmypid(), 11);\n')
    expect((await host.http('/segv.php')).status).toBe(502)
    expect(await host.readFile('/var/log/nginx/error.log')).toMatch(/recv\(\) failed \(104: Connection reset by peer\)/)
    expect(await host.readFile('/var/log/php8.2-fpm.log')).toMatch(/exited on signal 11 \(SIGSEGV/)
    expect((await host.http('/index.php')).status).toBe(200)

    await build
    const plan = await runPlan(lab, host, {detailedExitcode: true})
    const crash = plan.json.findings.find((finding) => finding.id === 'fpm-crashing')
    expect(crash, JSON.stringify(plan.json.findings, null, 2)).toBeDefined()
    expect(crash!.severity).toBe('critical')
    expect(crash!.summary).toMatch(/died on SIGSEGV/)
    expect(crash!.evidence.map((item) => item.text).join('\n')).toMatch(/exited on signal 11 \(SIGSEGV/)
    expect(crash!.evidence.map((item) => item.text).join('\n')).toMatch(/104: Connection reset by peer/)
    expect(
      plan.json.findings.filter((finding) => finding.id !== 'fpm-crashing' && finding.severity === 'critical'),
    ).toEqual([])
    expect(plan.json.changes).toEqual([])
    expect(plan.json.actions).toEqual([])
    // A critical finding left unfixed is not "healthy" to automation: --detailed-exitcode says 9, not 0.
    expect(plan.exitCode).toBe(9)
    expect(plan.document.summary.criticalUnfixed).toEqual([host.name])
  })
})
