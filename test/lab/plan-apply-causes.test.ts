import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import type {HostPlan} from '../../src/model/plan.js'
import {
  allowedClientsExcludeNginx,
  type CauseFault,
  expectStatus,
  HIDDEN_POOL_FILE,
  HIDDEN_SOCKET_DIR,
  ipv6OnlyPool,
  passToHttpPort,
  portTakenByAnotherProgram,
  readTimeoutShorterThanRequests,
  socketInUnsearchableDirectory,
  stopNginx,
  SYMLINKED_SOCKET,
  symlinkedSocketOwnedByRoot,
  variableSetToDeadSocket,
} from './lab/faults-causes.js'
import {logSecondsPassed, NGINX_ERROR_LOG, provoke} from './lab/faults-502.js'
import {FPM_POOL_FILE, FPM_SOCKET, LAB_SITE_AVAILABLE, type Lab, type LabHost, startLab} from './lab/index.js'
import {applyPlanFile, planDirectory, savePlan} from './support/apply-cli-helpers.js'
import {writeInventory} from './support/inventory-writer.js'
import {buildCli, changeOf, type JsonFinding, poolValue, problems, runPlan, withReport} from './support/plan-helpers.js'
import {describeRun, runCli} from './support/run-cli.js'
import type {JsonPlanDocument} from './support/plan-helpers.js'

interface Cause {
  name: string
  inject: (host: LabHost) => Promise<CauseFault>
  /** What nginx's error.log says about the failure. */
  nginxLog: RegExp
  finding: string
  /** The finding explains the cause: its evidence and summary name it. */
  explains: (finding: JsonFinding, host: LabHost) => void
  /** The saved plan proposes the fix this cause calls for. */
  remedy: (plan: HostPlan, host: LabHost) => void
}

const causes: Cause[] = [
  {
    name: 'php-fpm cannot bind its port: another program holds it',
    inject: portTakenByAnotherProgram,
    nginxLog: /upstream (?:prematurely closed connection|sent unsupported FastCGI protocol version)/,
    finding: 'fpm-down',
    explains(finding, host) {
      const [port] = host.sparePorts
      expect(finding.summary).toContain(`127.0.0.1:${port} is held by php, so php-fpm cannot bind it`)
      expect(finding.evidence.some((item) => item.text.includes('Address already in use (98)'))).toBe(true)
    },
    remedy(plan, host) {
      const moved = poolValue(changeOf(plan, FPM_POOL_FILE).after, 'www', 'listen') ?? ''
      expect(moved).toMatch(/^127\.0\.0\.1:\d+$/)
      expect(moved).not.toBe(`127.0.0.1:${host.sparePorts[0]}`)
      expect(changeOf(plan, LAB_SITE_AVAILABLE).after).toContain(`fastcgi_pass ${moved};`)
      expect(actionsOf(plan)).toEqual(['php8.2-fpm start', 'nginx reload'])
    },
  },
  {
    name: 'fastcgi_pass names a port where an HTTP server answers',
    inject: passToHttpPort,
    nginxLog: /upstream sent unsupported FastCGI protocol version: 72 while reading response header/,
    finding: 'socket-mismatch',
    explains(finding, host) {
      expect(finding.summary).toContain(`nginx sends to 127.0.0.1:${host.httpPort}, where no php-fpm pool listens`)
      expect(finding.summary).toContain('nginx answers there, not in FastCGI')
    },
    remedy(plan) {
      expect(changeOf(plan, LAB_SITE_AVAILABLE).after).toContain(`fastcgi_pass unix:${FPM_SOCKET};`)
      expect(actionsOf(plan)).toEqual(['nginx reload'])
    },
  },
  {
    name: 'fastcgi_pass $var whose literal set names a dead socket',
    inject: variableSetToDeadSocket,
    nginxLog: /connect\(\) to unix:\/run\/php\/php8\.1-fpm\.sock failed \(2: No such file or directory\)/,
    finding: 'socket-mismatch',
    explains: (finding) => expect(finding.summary).toContain('nginx sends to unix:/run/php/php8.1-fpm.sock'),
    remedy(plan) {
      const site = changeOf(plan, LAB_SITE_AVAILABLE)
      expect(site.after).toContain('set $php_backend unix:/run/php/php8.2-fpm.sock;')
      expect(site.after).toContain('fastcgi_pass $php_backend;')
      expect(actionsOf(plan)).toEqual(['nginx reload'])
    },
  },
  {
    name: 'listen.allowed_clients leaves out the address nginx connects from',
    inject: allowedClientsExcludeNginx,
    // php-fpm closes the accepted connection: nginx reads a reset or an early close, depending on timing.
    nginxLog:
      /(?:recv\(\) failed \(104: Connection reset by peer\)|upstream prematurely closed connection) while reading response header/,
    finding: 'socket-permission',
    explains(finding) {
      expect(finding.summary).toContain('only from 127.0.0.2 (listen.allowed_clients)')
      const sources = finding.evidence.map((item) => item.source ?? '')
      expect(sources.some((source) => source.startsWith(`${FPM_POOL_FILE}:`))).toBe(true)
      const logs = finding.evidence.filter((item) => item.kind === 'log').map((item) => item.text)
      expect(logs.some((text) => text.includes("Connection disallowed: IP address '127.0.0.1' has been dropped"))).toBe(
        true,
      )
      expect(logs.some((text) => /while reading response header from upstream/.test(text))).toBe(true)
    },
    remedy(plan) {
      const allowed = poolValue(changeOf(plan, FPM_POOL_FILE).after, 'www', 'listen.allowed_clients') ?? ''
      expect(allowed.split(',').map((entry) => entry.trim())).toEqual(['127.0.0.2', '127.0.0.1'])
    },
  },
  {
    name: 'listen.allowed_clients lets loopback in, but fastcgi_bind makes nginx connect from another address',
    inject: (host) => allowedClientsExcludeNginx(host, {allowed: '127.0.0.1', bind: '127.0.0.5'}),
    nginxLog:
      /(?:recv\(\) failed \(104: Connection reset by peer\)|upstream prematurely closed connection) while reading response header/,
    finding: 'socket-permission',
    explains(finding) {
      expect(finding.summary).toContain('only from 127.0.0.1 (listen.allowed_clients)')
      expect(finding.summary).toContain('nginx connects from 127.0.0.5')
      expect(finding.evidence).toContainEqual(
        expect.objectContaining({text: 'fastcgi_bind = 127.0.0.5', source: expect.stringMatching(/^\/etc\/nginx\//)}),
      )
      const logs = finding.evidence.filter((item) => item.kind === 'log').map((item) => item.text)
      expect(logs.some((text) => text.includes("Connection disallowed: IP address '127.0.0.5' has been dropped"))).toBe(
        true,
      )
    },
    remedy(plan) {
      const allowed = poolValue(changeOf(plan, FPM_POOL_FILE).after, 'www', 'listen.allowed_clients') ?? ''
      expect(allowed.split(',').map((entry) => entry.trim())).toEqual(['127.0.0.1', '127.0.0.5'])
    },
  },
  {
    name: 'a pool socket in a directory nginx’s workers cannot search',
    inject: socketInUnsearchableDirectory,
    nginxLog: /connect\(\) to unix:\/run\/php-hidden\/hidden\.sock failed \(13: Permission denied\)/,
    finding: 'socket-permission',
    explains: (finding) => expect(finding.summary).toContain(`www-data cannot search directory ${HIDDEN_SOCKET_DIR}`),
    remedy(plan) {
      expect(poolValue(changeOf(plan, HIDDEN_POOL_FILE).after, 'hidden', 'listen')).toBe('/run/php/hidden.sock')
      expect(changeOf(plan, LAB_SITE_AVAILABLE).after).toContain('fastcgi_pass unix:/run/php/hidden.sock;')
      expect(actionsOf(plan)).toEqual(['php8.2-fpm restart', 'nginx reload'])
    },
  },
  {
    name: '504: fastcgi_read_timeout shorter than requests take',
    inject: readTimeoutShorterThanRequests,
    nginxLog: /upstream timed out \(110: Connection timed out\) while reading response header from upstream/,
    finding: 'timeout-mismatch',
    explains(finding) {
      expect(finding.summary).toMatch(
        /nginx gave up after fastcgi_read_timeout 2s on \d+ request\(s\) \(504\): GET \/slow\.php\?s=4/,
      )
      expect(finding.summary).toMatch(
        /fastcgi_read_timeout becomes 30s: PHP lets a request run up to 30s \(max_execution_time, \/etc\/php\/8\.2\/fpm\/php\.ini:\d+\)/,
      )
    },
    remedy(plan) {
      const site = changeOf(plan, LAB_SITE_AVAILABLE)
      expect(site.after).toContain('fastcgi_read_timeout 30s;')
      expect(site.after).not.toContain('fastcgi_read_timeout 2s;')
      expect(plan.changes.map((change) => change.path)).toEqual([LAB_SITE_AVAILABLE])
      expect(actionsOf(plan)).toEqual(['nginx reload'])
    },
  },
  {
    name: 'a socket named through a symlinked directory (/var/run → /run), handed to root',
    inject: symlinkedSocketOwnedByRoot,
    nginxLog: /php8\.2-fpm\.sock failed \(13: Permission denied\)/,
    finding: 'socket-permission',
    explains: (finding) => expect(finding.scope).toContain(`unix:${SYMLINKED_SOCKET}`),
    remedy(plan) {
      expect(poolValue(changeOf(plan, FPM_POOL_FILE).after, 'www', 'listen.owner')).toBe('www-data')
      const expected = Object.values(plan.verify!.fpm).flatMap((install) => install.expect ?? [])
      expect(expected.map((entry) => entry.socket?.path)).toEqual([SYMLINKED_SOCKET])
      expect(actionsOf(plan)).toEqual(['php8.2-fpm restart'])
    },
  },
  {
    name: 'a pool on [::1] only, nginx passing to 127.0.0.1',
    inject: ipv6OnlyPool,
    nginxLog: /connect\(\) failed \(111: Connection refused\) while connecting to upstream/,
    finding: 'socket-mismatch',
    explains: (finding, host) =>
      expect(finding.summary).toContain(
        `nginx sends to 127.0.0.1:${host.sparePorts[0]}, where no php-fpm pool listens`,
      ),
    remedy(plan, host) {
      expect(changeOf(plan, LAB_SITE_AVAILABLE).after).toContain(`fastcgi_pass [::1]:${host.sparePorts[0]};`)
      expect(actionsOf(plan)).toEqual(['nginx reload'])
    },
  },
]

const EXTRA_HOSTS = 2

describe('causes handled right through the CLI: real 502/504 → plan -o → apply PLANFILE → 200 → nothing left to plan', () => {
  let lab: Lab
  let plans: Awaited<ReturnType<typeof planDirectory>>

  beforeAll(async () => {
    plans = await planDirectory()
    ;[lab] = await Promise.all([startLab({hosts: causes.length + EXTRA_HOSTS, namePrefix: 'cause'}), buildCli()])
  })

  afterAll(async () => {
    await lab?.stop()
    await plans?.cleanup()
  })

  for (const [index, cause] of causes.entries()) {
    it(cause.name, async () => {
      const host = lab.hosts[index]!
      const fault = await cause.inject(host)
      expect((await provoke(host, fault)).map((result) => result.status)).toContain(fault.status)
      const provokedAt = Date.now()
      expect(await host.readFile(NGINX_ERROR_LOG)).toMatch(cause.nginxLog)

      const plan = await savePlan(lab, host, `${plans.dir}/${host.name}.json`, {detailedExitcode: true})
      const report = JSON.stringify(plan.json, null, 2)
      expect(plan.run.code, report).toBe(2)
      const explaining = plan.json.findings.filter((finding) => finding.id === cause.finding)
      expect(explaining, report).toHaveLength(1)
      expect(
        problems(plan.json).filter((finding) => finding.id !== cause.finding),
        report,
      ).toEqual([])
      await withReport(report, () => {
        cause.explains(explaining[0]!, host)
        cause.remedy(plan.saved, host)
      })

      await logSecondsPassed(provokedAt)
      const applied = await applyPlanFile(lab, host, plan.file)
      expect(applied.run.code, applied.report).toBe(0)
      expect(applied.host.status, applied.report).toBe('applied')

      // apply verified the change itself: the very next requests succeed.
      expect((await provoke(host, fault)).map((result) => result.status)).toEqual([200])
      for (const healthy of fault.healthyPaths) expect((await host.http(healthy)).status, healthy).toBe(200)

      const again = await runPlan(lab, host, {detailedExitcode: true})
      const againReport = JSON.stringify(again.json, null, 2)
      expect(problems(again.json), againReport).toEqual([])
      expect(again.json.status, againReport).toBe('unchanged')
      expect(again.exitCode, againReport).toBe(0)
    })
  }

  it('a stopped nginx is nginx-down, not "healthy"; the plan starts it', async () => {
    const host = lab.hosts[causes.length]!
    await stopNginx(host)
    const plan = await savePlan(lab, host, `${plans.dir}/${host.name}.json`, {detailedExitcode: true})
    const report = JSON.stringify(plan.json, null, 2)
    expect(plan.run.code, report).toBe(2)
    expect(
      plan.json.findings.map((finding) => [finding.id, finding.severity]),
      report,
    ).toEqual([['nginx-down', 'critical']])
    expect(actionsOf(plan.saved)).toEqual(['nginx start'])

    const applied = await applyPlanFile(lab, host, plan.file)
    expect(applied.run.code, applied.report).toBe(0)
    expect((await host.http('/index.php')).status).toBe(200)
    const again = await runPlan(lab, host, {detailedExitcode: true})
    expect(again.json.findings, JSON.stringify(again.json, null, 2)).toEqual([])
    expect(again.exitCode).toBe(0)
  })

  it('planned by a login without root: permission errors of the gather are no finding, and it says what it could not read', async () => {
    const host = lab.hosts[causes.length + 1]!
    await expectStatus(host, '/index.php', 200)
    const inventory = await writeInventory(path.join(plans.dir, 'plain.ini'), {
      plain: [{name: 'plain', port: host.sshPort, user: 'deploy', keyFile: lab.clientKeyPath, become: false}],
    })
    const run = await runCli<JsonPlanDocument>(
      ['plan', '-i', inventory, 'plain', '--known-hosts', lab.knownHostsPath, '--json'],
      {
        timeoutMs: 120_000,
      },
    )
    expect(run.code, describeRun(run)).toBe(0)
    const entry = run.json!.hosts.find((candidate) => candidate.name === 'plain')!
    const report = JSON.stringify(entry, null, 2)
    expect(entry.findings, report).toEqual([])
    expect(entry.notes?.[0], report).toMatch(
      /^gathered as deploy \(uid \d+\), not root: could not read nginx -T, .*Permission denied.*use --become$/,
    )
    expect((entry as {unreadable?: string[]}).unreadable?.length, report).toBeGreaterThan(0)
  })
})

function actionsOf(plan: HostPlan): string[] {
  return plan.actions.map((action) => `${action.service} ${action.action}`)
}
