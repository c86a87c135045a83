import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import type {HostPlan} from '../../src/model/plan.js'
import {FPM_POOL_FILE, LAB_SITE_AVAILABLE, LAB_SITE_ENABLED, type Lab, type LabHost, startLab} from './lab/index.js'
import {
  aclOverridesOwner,
  bigHeaders,
  expectStatus,
  type Fault502,
  fpmStopped,
  invalidPmValues,
  nginxRunsAsOtherUser,
  PHP_UPSTREAM_CONF,
  poolExhausted,
  logSecondsPassed,
  provoke,
  secondPoolBroken,
  SHOP_POOL_FILE,
  socketOwnedByRoot,
  tcpPortMismatchViaUpstream,
  terminateTimeoutKills,
  versionSocketMismatch,
} from './lab/faults-502.js'
import {
  applyByHand,
  buildCli,
  changeOf,
  fpmSeconds,
  iniValue,
  type JsonFinding,
  type JsonHostPlan,
  poolValue,
  problems,
  runPlan,
  withReport,
} from './support/plan-helpers.js'

interface Scenario {
  name: string
  inject: (host: LabHost) => Promise<Fault502>
  /** What nginx's error.log says about the 502. */
  nginxLog: RegExp
  /** Finding ids that explain it: at least one must be there, and no other critical finding. */
  findingIds: [string, ...string[]]
  /** Each critical finding with one of those ids names the right part of the config. */
  scope: (finding: JsonFinding, host: LabHost) => Promise<void> | void
  /** Parts of the host that work must have no finding. */
  unaffected?: (findings: JsonFinding[]) => void
  /** The saved plan proposes the remedy the cause calls for (its effect is checked by the traffic afterwards). */
  remedy: (plan: HostPlan, host: LabHost) => Promise<void> | void
}

const PHP_LOCATION = /\\\.php\$/
const FPM_PHP_INI = '/etc/php/8.2/fpm/php.ini'

const scenarios: Scenario[] = [
  {
    name: 'nginx left on the PHP 8.1 socket after an upgrade',
    inject: versionSocketMismatch,
    nginxLog: /connect\(\) to unix:\/run\/php\/php8\.1-fpm\.sock failed \(2: No such file or directory\)/,
    findingIds: ['socket-mismatch'],
    async scope(finding, host) {
      const site = await host.readFile(LAB_SITE_AVAILABLE)
      const passLine = site.split('\n').findIndex((line) => line.includes('fastcgi_pass')) + 1
      expect([LAB_SITE_AVAILABLE, LAB_SITE_ENABLED]).toContain(finding.scopeDetail?.nginx?.file)
      expect(finding.scopeDetail?.nginx?.line).toBe(passLine)
      expect(finding.scopeDetail?.nginx?.location).toMatch(PHP_LOCATION)
    },
    remedy(plan) {
      const site = changeOf(plan, LAB_SITE_AVAILABLE)
      expect(site.after).toContain('fastcgi_pass unix:/run/php/php8.2-fpm.sock;')
      expect(site.after).not.toContain('php8.1')
      expect(plan.actions.map((action) => `${action.service} ${action.action}`)).toEqual(['nginx reload'])
    },
  },
  {
    name: 'php-fpm stopped',
    inject: fpmStopped,
    nginxLog: /connect\(\) to unix:\/run\/php\/php8\.2-fpm\.sock failed \(2: No such file or directory\)/,
    findingIds: ['fpm-down'],
    scope: (finding) => expect(finding.scopeDetail?.pool?.name).toBe('www'),
    remedy(plan) {
      expect(plan.changes).toEqual([])
      expect(plan.actions.map((action) => `${action.service} ${action.action}`)).toEqual(['php8.2-fpm start'])
    },
  },
  {
    name: 'socket handed to root:root',
    inject: socketOwnedByRoot,
    nginxLog: /php8\.2-fpm\.sock failed \(13: Permission denied\)/,
    findingIds: ['socket-permission'],
    scope: (finding) => expect(finding.scopeDetail?.pool?.name).toBe('www'),
    remedy(plan) {
      const pool = changeOf(plan, FPM_POOL_FILE).after
      expect(poolValue(pool, 'www', 'listen.owner')).toBe('www-data')
      expect(poolValue(pool, 'www', 'listen.group')).toBe('www-data')
      expect(poolValue(pool, 'www', 'listen.mode') ?? '0660').toBe('0660')
      expect(plan.actions.map((action) => `${action.service} ${action.action}`)).toEqual(['php8.2-fpm restart'])
    },
  },
  {
    name: 'listen.acl_users overrides listen.owner',
    inject: aclOverridesOwner,
    nginxLog: /php8\.2-fpm\.sock failed \(13: Permission denied\)/,
    findingIds: ['socket-permission'],
    scope: (finding) => expect(finding.scopeDetail?.pool?.name).toBe('www'),
    remedy(plan) {
      const aclUsers = poolValue(changeOf(plan, FPM_POOL_FILE).after, 'www', 'listen.acl_users') ?? ''
      expect(aclUsers.split(',').map((user) => user.trim())).toContain('www-data')
      expect(plan.actions.map((action) => `${action.service} ${action.action}`)).toEqual(['php8.2-fpm restart'])
    },
  },
  {
    name: 'upstream server on a port where no pool listens',
    inject: tcpPortMismatchViaUpstream,
    nginxLog: /connect\(\) failed \(111: Connection refused\) while connecting to upstream/,
    findingIds: ['socket-mismatch'],
    scope(finding) {
      const places = [finding.scope, ...finding.evidence.map((evidence) => evidence.source ?? '')]
      expect(
        places.some((place) => place.includes(`${PHP_UPSTREAM_CONF}:2`)),
        JSON.stringify(finding, null, 2),
      ).toBe(true)
    },
    remedy(plan, host) {
      expect(changeOf(plan, PHP_UPSTREAM_CONF).after).toContain(`server 127.0.0.1:${host.sparePorts[0]};`)
      expect(plan.changes.map((change) => change.path)).toEqual([PHP_UPSTREAM_CONF])
      expect(plan.actions.map((action) => `${action.service} ${action.action}`)).toEqual(['nginx reload'])
    },
  },
  {
    name: 'pool exhausted: 2 static children, listen queue of 2',
    inject: poolExhausted,
    nginxLog: /php8\.2-fpm\.sock failed \(11: Resource temporarily unavailable\)/,
    findingIds: ['pool-exhausted'],
    scope: (finding) => expect(finding.scopeDetail?.pool?.name).toBe('www'),
    remedy(plan) {
      const pool = changeOf(plan, FPM_POOL_FILE).after
      expect(Number(poolValue(pool, 'www', 'pm.max_children'))).toBeGreaterThan(2)
      const backlog = poolValue(pool, 'www', 'listen.backlog')
      if (backlog !== undefined) expect(Number(backlog)).toBeGreaterThan(2)
    },
  },
  {
    name: 'request_terminate_timeout kills requests nginx still waits for',
    inject: terminateTimeoutKills,
    nginxLog: /recv\(\) failed \(104: Connection reset by peer\) while reading response header from upstream/,
    findingIds: ['timeout-mismatch'],
    scope: (finding) => expect(finding.scopeDetail?.pool?.name).toBe('www'),
    async remedy(plan, host) {
      const pool = changeOf(plan, FPM_POOL_FILE).after
      const terminate = fpmSeconds(poolValue(pool, 'www', 'request_terminate_timeout') ?? '0')
      expect(terminate).toBeGreaterThanOrEqual(60)
      // PHP should stop a runaway script itself before php-fpm has to kill the worker.
      const poolOverride =
        poolValue(pool, 'www', 'php_admin_value[max_execution_time]') ??
        poolValue(pool, 'www', 'php_value[max_execution_time]')
      const maxExecution = poolOverride ?? iniValue(await host.readFile(FPM_PHP_INI), 'max_execution_time')
      expect(Number(maxExecution), `effective max_execution_time ${maxExecution}`).toBeGreaterThan(0)
      expect(Number(maxExecution)).toBeLessThan(terminate)
    },
  },
  {
    name: 'response headers larger than fastcgi_buffer_size',
    inject: bigHeaders,
    nginxLog: /upstream sent too big header while reading response header from upstream/,
    findingIds: ['header-buffer'],
    scope(finding) {
      expect([LAB_SITE_AVAILABLE, LAB_SITE_ENABLED]).toContain(finding.scopeDetail?.nginx?.file)
      expect(finding.scopeDetail?.nginx?.location).toMatch(PHP_LOCATION)
    },
    remedy(plan) {
      const after = changeOf(plan, LAB_SITE_AVAILABLE).after
      const phpLocation = after.slice(after.search(/location ~ \\\.php\$ \{/))
      expect(phpLocation).toMatch(/^\s*fastcgi_buffer_size\s+\d+k;/m)
      expect(plan.actions.map((action) => `${action.service} ${action.action}`)).toEqual(['nginx reload'])
    },
  },
  {
    name: 'second pool [shop] broken while [www] works',
    inject: secondPoolBroken,
    nginxLog: /php8\.2-fpm-shop\.sock failed \(13: Permission denied\)/,
    findingIds: ['socket-permission'],
    scope(finding) {
      expect(finding.scopeDetail?.pool?.name).toBe('shop')
    },
    unaffected(findings) {
      const aboutWww = findings.filter(
        (finding) =>
          finding.scopeDetail?.pool?.name === 'www' ||
          (PHP_LOCATION.test(finding.scopeDetail?.nginx?.location ?? '') && !finding.scope.includes('/shop/')),
      )
      expect(aboutWww, JSON.stringify(findings, null, 2)).toEqual([])
    },
    remedy(plan) {
      expect(plan.changes.map((change) => change.path)).toEqual([SHOP_POOL_FILE])
      const shop = changeOf(plan, SHOP_POOL_FILE).after
      expect(poolValue(shop, 'shop', 'listen.owner')).toBe('www-data')
      expect(poolValue(shop, 'shop', 'listen.group')).toBe('www-data')
    },
  },
  {
    name: 'pm.min_spare_servers above pm.max_children keeps php-fpm from starting',
    inject: invalidPmValues,
    nginxLog: /php8\.2-fpm\.sock failed \(2: No such file or directory\)/,
    findingIds: ['fpm-down', 'config-invalid'],
    scope(finding) {
      const quoted = finding.evidence.some((evidence) =>
        /pm\.min_spare_servers\(3\) and pm\.max_spare_servers\(\d+\) cannot be greater than pm\.max_children\(2\)/.test(
          evidence.text,
        ),
      )
      expect(quoted, JSON.stringify(finding.evidence, null, 2)).toBe(true)
    },
    remedy(plan) {
      const pool = changeOf(plan, FPM_POOL_FILE).after
      const maxChildren = Number(poolValue(pool, 'www', 'pm.max_children'))
      expect(Number(poolValue(pool, 'www', 'pm.min_spare_servers'))).toBeLessThanOrEqual(maxChildren)
      expect(Number(poolValue(pool, 'www', 'pm.max_spare_servers'))).toBeLessThanOrEqual(maxChildren)
      expect(plan.actions.map((action) => action.service)).toEqual(['php8.2-fpm'])
      expect(['start', 'restart']).toContain(plan.actions[0]?.action)
    },
  },
  {
    name: 'nginx workers run as nobody, socket is www-data:www-data 0660',
    inject: nginxRunsAsOtherUser,
    nginxLog: /php8\.2-fpm\.sock failed \(13: Permission denied\)/,
    findingIds: ['socket-permission'],
    scope: (finding) => expect(finding.scopeDetail?.pool?.name).toBe('www'),
    remedy(plan) {
      const pool = changeOf(plan, FPM_POOL_FILE).after
      const list = (key: string): string[] =>
        (poolValue(pool, 'www', key) ?? '').split(',').map((entry) => entry.trim())
      const grantsNobody =
        poolValue(pool, 'www', 'listen.owner') === 'nobody' ||
        poolValue(pool, 'www', 'listen.group') === 'nogroup' ||
        list('listen.acl_users').includes('nobody') ||
        list('listen.acl_groups').includes('nogroup')
      expect(grantsNobody, pool).toBe(true)
    },
  },
]

const EXTRA_HOSTS = 2

describe('plan on real 502s: inject, diagnose, fix by hand, re-plan', () => {
  let lab: Lab
  // The injections do not need the CLI: a failing build fails only the tests that run plan.
  let build: Promise<Error | undefined>
  const builtCli = async (): Promise<void> => {
    const error = await build
    if (error) throw error
  }

  beforeAll(async () => {
    build = buildCli().then(
      () => undefined,
      (error: unknown) => (error instanceof Error ? error : new Error(String(error))),
    )
    lab = await startLab({hosts: scenarios.length + EXTRA_HOSTS, namePrefix: 'plan'})
  })

  afterAll(async () => {
    await lab?.stop()
    await build
  })

  for (const [index, scenario] of scenarios.entries()) {
    describe(scenario.name, () => {
      let fault: Fault502 | undefined
      let provokedAt = 0
      const host = (): LabHost => lab.hosts[index]!

      it('returns 502 once injected, for the expected reason', async () => {
        fault = await scenario.inject(host())
        const statuses = (await provoke(host(), fault)).map((result) => result.status)
        provokedAt = Date.now()
        expect(statuses).toContain(502)
        expect(await host().readFile('/var/log/nginx/error.log')).toMatch(scenario.nginxLog)
        for (const path of fault.healthyPaths) expect((await host().http(path)).status, path).toBe(200)
      })

      it('plans the cause, and the planned change removes the 502 for good', async () => {
        if (fault === undefined) throw new Error('the fault was not injected (see the previous test)')
        await builtCli()
        const plan = await runPlan(lab, host(), {detailedExitcode: true})
        const report = describePlan(plan.json)
        expect(plan.exitCode, report).toBe(2)
        expect(plan.json.status, report).toBe('changes')

        const critical = plan.json.findings.filter((finding) => finding.severity === 'critical')
        const explaining = critical.filter((finding) => scenario.findingIds.includes(finding.id))
        expect(explaining.length, report).toBeGreaterThan(0)
        expect(
          critical.filter((finding) => !scenario.findingIds.includes(finding.id)),
          report,
        ).toEqual([])
        await withReport(report, async () => {
          for (const finding of explaining) await scenario.scope(finding, host())
          scenario.unaffected?.(plan.json.findings)
          await scenario.remedy(plan.saved, host())
        })

        await logSecondsPassed(provokedAt)
        await applyByHand(host(), plan.saved)
        if (fault.concurrency > 1) {
          const statuses = (await provoke(host(), fault)).map((result) => result.status)
          expect(
            statuses.filter((status) => status !== 200),
            report,
          ).toEqual([])
        } else {
          await expectStatus(host(), fault.failingPath, 200)
        }
        for (const path of fault.healthyPaths) expect((await host().http(path)).status, path).toBe(200)

        const again = await runPlan(lab, host(), {detailedExitcode: true})
        const againReport = describePlan(again.json)
        expect(problems(again.json), againReport).toEqual([])
        expect(again.json.status, againReport).toBe('unchanged')
        expect(again.exitCode, againReport).toBe(0)
      })
    })
  }

  it('plans nothing for a healthy host, with and without --detailed-exitcode', async () => {
    await builtCli()
    const healthy = lab.hosts[scenarios.length]!
    expect((await healthy.http('/index.php')).status).toBe(200)
    for (const detailedExitcode of [false, true]) {
      const plan = await runPlan(lab, healthy, {detailedExitcode})
      const report = describePlan(plan.json)
      expect(plan.exitCode, report).toBe(0)
      expect(plan.json.status, report).toBe('unchanged')
      expect(plan.json.findings, report).toEqual([])
      expect(plan.json.changes, report).toEqual([])
      expect(plan.json.actions, report).toEqual([])
      expect(plan.document.summary).toMatchObject({hosts: 1, toChange: 0, unchanged: 1, failed: 0})
    }
  })

  it('exits 2 with --detailed-exitcode only when changes are pending', async () => {
    await builtCli()
    const broken = lab.hosts[scenarios.length + 1]!
    await fpmStopped(broken)
    const detailed = await runPlan(lab, broken, {detailedExitcode: true})
    expect(detailed.exitCode, describePlan(detailed.json)).toBe(2)
    expect(detailed.document.summary).toMatchObject({hosts: 1, toChange: 1, failed: 0})
    const plain = await runPlan(lab, broken)
    expect(plain.exitCode, describePlan(plain.json)).toBe(0)
    expect(plain.json.status).toBe('changes')
  })
})

function describePlan(json: JsonHostPlan): string {
  return `plan for ${json.name}:\n${JSON.stringify(json, null, 2)}`
}
