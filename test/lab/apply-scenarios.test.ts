import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {journalFile, lockExists} from './apply-lab-helpers.js'
import {
  aclOverridesOwner,
  bigHeaders,
  type Fault502,
  fpmStopped,
  httpGetLargeHeaders,
  invalidPmValues,
  nginxRunsAsOtherUser,
  poolExhausted,
  logSecondsPassed,
  provoke,
  secondPoolBroken,
  socketOwnedByRoot,
  tcpPortMismatchViaUpstream,
  terminateTimeoutKills,
  versionSocketMismatch,
} from './lab/faults-502.js'
import {LAB_SITE_AVAILABLE, LAB_SITE_ENABLED, type Lab, type LabHost, startLab} from './lab/index.js'
import {
  applyPlanFile,
  configSnapshot,
  planDirectory,
  savePlan,
  unexplainedChanges,
} from './support/apply-cli-helpers.js'
import {buildCli, problems, runPlan} from './support/plan-helpers.js'

interface Scenario {
  name: string
  inject: (host: LabHost) => Promise<Fault502>
}

const scenarios: Scenario[] = [
  {name: 'nginx left on the PHP 8.1 socket after an upgrade', inject: versionSocketMismatch},
  {name: 'php-fpm stopped', inject: fpmStopped},
  {name: 'socket handed to root:root', inject: socketOwnedByRoot},
  {name: 'listen.acl_users overrides listen.owner', inject: aclOverridesOwner},
  {name: 'upstream server on a port where no pool listens', inject: tcpPortMismatchViaUpstream},
  {name: 'pool exhausted: 2 static children, listen queue of 2', inject: poolExhausted},
  {name: 'request_terminate_timeout kills requests nginx still waits for', inject: terminateTimeoutKills},
  {name: 'response headers larger than fastcgi_buffer_size', inject: bigHeaders},
  {name: 'second pool [shop] broken while [www] works', inject: secondPoolBroken},
  {name: 'pm.min_spare_servers above pm.max_children keeps php-fpm from starting', inject: invalidPmValues},
  {name: 'nginx workers run as nobody, socket is www-data:www-data 0660', inject: nginxRunsAsOtherUser},
]

/** Tighter modes and non-root groups on every config file a plan may change, as hardened hosts have them. */
const RESTRICT_CONFIG_MODES = [
  'for f in /etc/php/8.2/fpm/pool.d/*.conf; do chmod 640 "$f" && chgrp www-data "$f"; done',
  'for f in /etc/nginx/nginx.conf /etc/nginx/sites-available/* /etc/nginx/conf.d/*.conf; do [ -f "$f" ] || continue; chmod 640 "$f" && chgrp adm "$f"; done',
].join('\n')

const TRANSACTION_STEPS = ['lock', 'check', 'backup', 'write', 'validate']

describe('fpmfix apply through the CLI on real 502s: inject, plan -o, apply the file, verify the host', () => {
  let lab: Lab
  let plans: Awaited<ReturnType<typeof planDirectory>>

  beforeAll(async () => {
    plans = await planDirectory()
    ;[lab] = await Promise.all([startLab({hosts: scenarios.length, namePrefix: 'applyscn'}), buildCli()])
  })

  afterAll(async () => {
    await lab?.stop()
    await plans?.cleanup()
  })

  for (const [index, scenario] of scenarios.entries()) {
    it(scenario.name, async () => {
      const host = lab.hosts[index]!
      const fault = await scenario.inject(host)
      const injected = (await provoke(host, fault)).map((result) => result.status)
      const provokedAt = Date.now()
      expect(injected).toContain(502)

      await host.exec(RESTRICT_CONFIG_MODES)

      const plan = await savePlan(lab, host, `${plans.dir}/${host.name}.json`, {detailedExitcode: true})
      expect(plan.run.code, JSON.stringify(plan.json, null, 2)).toBe(2)
      expect(plan.json.status).toBe('changes')
      const before = await configSnapshot(host)
      // Metadata a careless writer (default umask, root:root) would not reproduce.
      for (const change of plan.saved.changes)
        expect(before.get(change.path), change.path).toMatchObject({
          mode: '640',
          owner: expect.not.stringMatching(/:0$/),
        })

      await logSecondsPassed(provokedAt)
      const applied = await applyPlanFile(lab, host, plan.file)

      expect(applied.run.code, applied.report).toBe(0)
      expect(applied.host, applied.report).toMatchObject({status: 'applied', txid: expect.any(String)})
      expect(applied.host.failedStep, applied.report).toBeUndefined()
      const stepNames = applied.host.steps.map((step) => step.name)
      expect(stepNames.slice(0, TRANSACTION_STEPS.length), applied.report).toEqual(TRANSACTION_STEPS)
      expect(stepNames.filter((name) => name.startsWith('action-'))).toHaveLength(plan.saved.actions.length)
      expect(stepNames.at(-1)).toBe('probe')
      expect((await journalFile(host, applied.host.txid!, 'state')).trim().split('\n').at(-1)).toBe('committed')
      expect(await lockExists(host), 'the lock is still held').toBe(false)

      // Right after apply returns, without waiting: apply itself verified the change took effect.
      const traffic = (await provoke(host, fault)).map((result) => result.status)
      expect(
        traffic.filter((status) => status !== 200),
        `${fault.failingPath} after apply`,
      ).toEqual([])
      for (const path of fault.healthyPaths)
        expect((await httpGetLargeHeaders(host.httpPort, path)).status, path).toBe(200)

      const again = await runPlan(lab, host, {detailedExitcode: true})
      const againReport = JSON.stringify(again.json, null, 2)
      expect(problems(again.json), againReport).toEqual([])
      expect(again.json.status, againReport).toBe('unchanged')
      expect(again.exitCode, againReport).toBe(0)

      const nginxTest = await host.exec('nginx -t 2>&1', {allowFail: true})
      expect(nginxTest.code, nginxTest.stdout).toBe(0)
      const fpmTest = await host.exec('php-fpm8.2 -t 2>&1', {allowFail: true})
      expect(fpmTest.code, fpmTest.stdout).toBe(0)

      expect(
        (await host.exec(`test -L ${LAB_SITE_ENABLED}`, {allowFail: true})).code,
        `${LAB_SITE_ENABLED} is a symlink`,
      ).toBe(0)
      expect((await host.exec(`readlink ${LAB_SITE_ENABLED}`)).stdout.trim()).toBe(LAB_SITE_AVAILABLE)

      expect(unexplainedChanges(before, await configSnapshot(host), plan.saved)).toEqual([])
    })
  }
})
