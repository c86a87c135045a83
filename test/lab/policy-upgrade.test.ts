import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {parseFpmTt, type FpmEffectiveConfig, type FpmTtPool} from '../../src/fpm/index.js'
import {ABSENT, type HostPlan} from '../../src/model/plan.js'
import {shellQuote} from '../../src/util/shell-quote.js'
import {journalFile, newestTxid, servicePids, waitForJournal} from './apply-lab-helpers.js'
import {httpGet, type HttpResult} from './lab/http-probe.js'
import {type Lab, type LabHost, startLab} from './lab/index.js'
import {capFpmProcesses, holdRequest} from './lab/move-faults.js'
import {APP_PROBE_PATH, APP_UPSTREAM_CONF, emulateOldPhp, OLD_PHP} from './lab/second-php.js'
import {waitFor} from './lab/wait.js'
import {
  applyPlanFile,
  applyRun,
  configSnapshot,
  connectionArgs,
  planDirectory,
  readPlanFile,
  type JsonApplyDocument,
} from './support/apply-cli-helpers.js'
import {buildCli} from './support/plan-helpers.js'
import {describeRun, runCli, type CliRun} from './support/run-cli.js'

const POLICY = 'plans/upgrade-php.ini'
const NEW_APP_POOL = '/etc/php/8.2/fpm/pool.d/app.conf'
const NEW_APP_SOCKET = '/run/php/php8.2-fpm-app.sock'
const NEW_MAIN_CONFIG = '/etc/php/8.2/fpm/php-fpm.conf'

/** Exit status of `service NAME status` inside the host: 0 while it runs. */
async function serviceStatus(host: LabHost, service: string): Promise<number> {
  return (await host.exec(`service ${service} status`, {allowFail: true})).code
}

/** The master pid an install's pid file names, when that process runs. */
async function masterPid(host: LabHost, pidFile: string): Promise<string> {
  const file = shellQuote(pidFile)
  return (await host.exec(`pid=$(cat ${file}) && kill -0 "$pid" && echo "$pid"`, {allowFail: true})).stdout.trim()
}

function failedRequests(results: HttpResult[]): HttpResult[] {
  return results.filter((result) => result.status !== 200 || result.body !== 'lab 96M')
}

/** php-fpm's own reading of a config (`-tt`), run on the host. */
async function fpmDump(host: LabHost, binary: string, mainConfig: string): Promise<FpmEffectiveConfig> {
  const {stdout} = await host.exec(`${binary} -tt -y ${shellQuote(mainConfig)} 2>&1`, {allowFail: true})
  const dump = parseFpmTt(stdout)
  if (!dump.ok) throw new Error(`${binary} -tt on ${host.name} failed:\n${stdout}`)
  return dump
}

/**
 * What php-fpm 8.2 makes of its config once the plan's pool files are written, without touching the
 * host's config: its pool files and the plan's new ones in a scratch tree under the host's /tmp.
 */
async function plannedDump(host: LabHost, plan: HostPlan): Promise<FpmEffectiveConfig> {
  const dir = '/tmp/fpmfix-planned-8.2'
  await host.exec(`rm -rf ${dir} && mkdir -p ${dir}/pool.d && cp /etc/php/8.2/fpm/pool.d/*.conf ${dir}/pool.d/`)
  for (const change of plan.changes.filter((entry) => entry.path.startsWith('/etc/php/8.2/fpm/pool.d/')))
    await host.writeFile(`${dir}/pool.d/${change.path.split('/').pop()}`, change.after)
  await host.writeFile(
    `${dir}/php-fpm.conf`,
    `[global]\npid = ${dir}/fpm.pid\nerror_log = ${dir}/fpm.log\ninclude=${dir}/pool.d/*.conf\n`,
  )
  return fpmDump(host, 'php-fpm8.2', `${dir}/php-fpm.conf`)
}

function pool(dump: FpmEffectiveConfig, name: string): FpmTtPool {
  const found = dump.pools.find((entry) => entry.name === name)
  if (found === undefined)
    throw new Error(`no [${name}] in the dump: ${dump.pools.map((entry) => entry.name).join(', ')}`)
  return found
}

/** A pool's settings as php-fpm holds them, the old version's paths spelled the new version's way. */
function settingsOf(entry: FpmTtPool): Record<string, unknown> {
  return JSON.parse(
    JSON.stringify({
      values: {...entry.values, listen: undefined},
      php: entry.phpValues,
      admin: entry.phpAdminValues,
      env: entry.env,
    }).replaceAll('php8.1-fpm', 'php8.2-fpm'),
  ) as Record<string, unknown>
}

/** GETs through nginx, `concurrency` at a time, until `stop` resolves; every answer is kept. */
async function load(host: LabHost, concurrency: number, stop: Promise<unknown>): Promise<HttpResult[]> {
  const results: HttpResult[] = []
  let done = false
  void stop.finally(() => (done = true))
  await Promise.all(
    Array.from({length: concurrency}, async () => {
      while (!done) results.push(await httpGet(host.httpPort, APP_PROBE_PATH, 30_000))
    }),
  )
  return results
}

/** `fpmfix plan` of every lab host with the upgrade policy, --detailed-exitcode and --json. */
function planWithPolicy(lab: Lab, extra: string[] = []): Promise<CliRun> {
  const hosts = lab.hosts.map((host) => host.name)
  return runCli(
    ['plan', ...connectionArgs(lab), ...hosts, '--policy', POLICY, '--detailed-exitcode', '--json', ...extra],
    {
      timeoutMs: 180_000,
    },
  )
}

describe('plans/upgrade-php.ini on hosts running an emulated PHP 8.1 app pool next to PHP 8.2', () => {
  let lab: Lab
  let plans: Awaited<ReturnType<typeof planDirectory>>
  let planRun: CliRun
  let planFile: string

  beforeAll(async () => {
    plans = await planDirectory()
    ;[lab] = await Promise.all([startLab({hosts: 3, namePrefix: 'upgrade'}), buildCli()])
    await Promise.all(lab.hosts.map(emulateOldPhp))
    planFile = `${plans.dir}/move.json`
    planRun = await planWithPolicy(lab, ['-o', planFile])
  }, 600_000)

  afterAll(async () => {
    await lab?.stop()
    await plans?.cleanup()
  })

  it('fpmfix facts knows the copied binary as PHP 8.1 by its name and layout, and says -v disagrees', async () => {
    const run = await runCli(['facts', ...connectionArgs(lab), ...lab.hosts.map((host) => host.name)], {
      timeoutMs: 120_000,
    })
    expect(run.code, describeRun(run)).toBe(0)
    const blocks = run.stdout.split(/^── /m).slice(1)
    expect(blocks).toHaveLength(3)
    for (const block of blocks) {
      expect(block).toMatch(/php-fpm {3}8\.1 \/usr\/sbin\/php-fpm8\.1 \(php8\.1-fpm\): running/)
      expect(block).toMatch(/php-fpm {3}8\.2\.\d+ \/usr\/sbin\/php-fpm8\.2 \(php8\.2-fpm\): running/)
      expect(block).toMatch(/\/usr\/sbin\/php-fpm8\.1 reports PHP 8\.2\.\d+, but its name and layout say 8\.1/)
    }
  })

  it('plan --detailed-exitcode exits 2: every host differs from the policy', async () => {
    expect(planRun.code, describeRun(planRun)).toBe(2)
    const saved = await readPlanFile(planFile)
    expect(saved.hosts.map((host) => host.status)).toEqual(['changes', 'changes', 'changes'])
    for (const host of saved.hosts) {
      expect(host.drift?.some((item) => item.what === 'php8.1-fpm (php 8.1)' && item.wanted === 'stopped')).toBe(true)
      expect(host.drift?.every((item) => item.policy.file === POLICY && item.unresolved === undefined)).toBe(true)
    }
  })

  it('carries the 8.1 app pool to 8.2 as php-fpm 8.2 itself reads it, on a socket of its own', async () => {
    const saved = await readPlanFile(planFile)
    for (const host of lab.hosts) {
      const plan = saved.hosts.find((entry) => entry.name === host.name)!
      expect(plan.changes.find((change) => change.path === NEW_APP_POOL)?.beforeSha256).toBe(ABSENT)
      const before = pool(await fpmDump(host, OLD_PHP.binary, OLD_PHP.mainConfig), 'app')
      const after = pool(await plannedDump(host, plan), 'app')
      expect(after.values.listen).toBe(NEW_APP_SOCKET)
      expect(before.values['pm.max_children']).toBe('7')
      expect(settingsOf(after)).toEqual(settingsOf(before))
    }
  })

  it('moves the upstream to the new pool and orders the actions 8.2, nginx, then 8.1 stopped', async () => {
    const saved = await readPlanFile(planFile)
    for (const plan of saved.hosts) {
      const upstream = plan.changes.find((change) => change.path === APP_UPSTREAM_CONF)
      expect(upstream?.after).toBe(`upstream app_php {\n\tserver unix:${NEW_APP_SOCKET};\n}\n`)
      expect(plan.actions.map((action) => `${action.action} ${action.service}`)).toEqual([
        'reload php8.2-fpm',
        'reload nginx',
        'stop php8.1-fpm',
      ])
      expect(plan.actions[0]!.gate?.fastcgi).toContainEqual({socket: NEW_APP_SOCKET, pingPath: '/app-ping'})
      expect(plan.actions[1]!.gate?.http?.length).toBeGreaterThan(0)
    }
  })

  it('applies under load with no failed request, a request held open through the move ends 200; then the hosts match the policy', async () => {
    const holder = lab.hosts[0]!
    const before = await newestTxid(holder)
    const held = await holdRequest(holder, 'move')
    const applying = applyPlanFile(lab, lab.hosts[0]!, planFile)
    const loads = Promise.all(lab.hosts.map((host) => load(host, 4, applying)))
    // Once nginx moved and its gate passed, the stop of 8.1 waits for what is still in flight to it.
    const txid = await waitForJournal(holder, (state) => state.includes('gate-1'), {after: before})
    await waitFor(
      async () => (await journalFile(holder, txid, 'out/action-2')).includes('waiting for the requests in flight'),
      {
        timeoutMs: 30_000,
        what: `the stop of ${OLD_PHP.service} on ${holder.name} to wait for the held request`,
      },
    )
    expect(await serviceStatus(holder, OLD_PHP.service)).toBe(0)
    await held.release()
    expect(await held.response).toMatchObject({status: 200, body: 'held move'})
    const traffic = await loads
    const {run} = await applying
    const document = run.json as JsonApplyDocument
    expect(
      document.hosts.map((host) => host.status),
      describeRun(run),
    ).toEqual(['applied', 'applied', 'applied'])
    for (const [index, results] of traffic.entries()) {
      expect(results.length, lab.hosts[index]!.name).toBeGreaterThan(20)
      expect(failedRequests(results), `${lab.hosts[index]!.name}: ${results.length} requests`).toEqual([])
    }
    expect(document.hosts.find((host) => host.name === holder.name)?.steps.map((step) => step.name)).toEqual([
      'lock',
      'check',
      'backup',
      'write',
      'validate',
      'action-0',
      'gate-0',
      'action-1',
      'gate-1',
      'action-2',
      'probe',
    ])
    const again = await planWithPolicy(lab)
    expect(again.code, describeRun(again)).toBe(0)
    for (const host of lab.hosts) {
      const live = pool(await fpmDump(host, 'php-fpm8.2', NEW_MAIN_CONFIG), 'app')
      expect(live.values.listen).toBe(NEW_APP_SOCKET)
      expect([live.values['pm.max_children'], live.values['request_terminate_timeout']]).toEqual(['7', '75s'])
      expect(live.env).toContainEqual({key: 'APP_TIER', value: 'web front'})
      expect(await serviceStatus(host, OLD_PHP.service)).not.toBe(0)
      expect((await host.exec(`pgrep -x php-fpm8.1`, {allowFail: true})).stdout).toBe('')
      expect((await host.http(APP_PROBE_PATH)).body).toBe('lab 96M')
    }
  })

  it('fpmfix rollback undoes the move last step first: 8.1 runs again before nginx goes back to it, no request fails', async () => {
    const host = lab.hosts[0]!
    const rolling = runCli<JsonApplyDocument>(
      ['rollback', ...connectionArgs(lab), host.name, '--auto-approve', '--json'],
      {
        timeoutMs: 180_000,
      },
    )
    const traffic = await load(host, 4, rolling)
    const {host: undone, report} = await applyRun(host, await rolling)
    expect(undone.status, report).toBe('undone')
    const manifest = JSON.parse(await journalFile(host, undone.txid!, 'manifest.json')) as {
      actions: Array<{label: string}>
    }
    expect(
      manifest.actions.map((action) => action.label),
      report,
    ).toEqual(['start php8.1-fpm', 'reload nginx', 'reload php8.2-fpm'])
    expect(traffic.length).toBeGreaterThan(10)
    expect(failedRequests(traffic), `${traffic.length} requests`).toEqual([])
    expect(await serviceStatus(host, OLD_PHP.service)).toBe(0)
    expect(await host.readFile(APP_UPSTREAM_CONF)).toBe(`upstream app_php {\n\tserver unix:${OLD_PHP.socket};\n}\n`)
    expect((await host.exec(`test -e ${NEW_APP_POOL} || test -e ${NEW_APP_SOCKET}`, {allowFail: true})).code).not.toBe(
      0,
    )
    expect(await host.http(APP_PROBE_PATH)).toMatchObject({status: 200, body: 'lab 96M'})
  })

  it('a move whose target install fails its FastCGI gate rolls back with nginx untouched', async () => {
    const host = lab.hosts[0]!
    // Enough processes for php8.2's www pool alone; with the app pool moved in, one pool gets no worker.
    await capFpmProcesses(host, 1)
    const faultPlan = `${plans.dir}/gate-fault.json`
    const planned = await runCli(
      ['plan', ...connectionArgs(lab), host.name, '--policy', POLICY, '--detailed-exitcode', '-o', faultPlan],
      {timeoutMs: 180_000},
    )
    expect(planned.code, describeRun(planned)).toBe(2)
    const config = await configSnapshot(host)
    const nginx = await servicePids(host)
    const oldMaster = await masterPid(host, '/run/php/php8.1-fpm.pid')
    const newMaster = await masterPid(host, '/run/php/php8.2-fpm.pid')
    expect([oldMaster, newMaster]).not.toContain('')

    const {run, host: result, report} = await applyPlanFile(lab, host, faultPlan)
    expect(run.code, report).toBe(4)
    expect(result, report).toMatchObject({status: 'rolled-back', failedStep: 'gate-0'})
    expect(result.output, report).toMatch(/FastCGI probe of unix:\/\/\/run\/php\/php8\.2-fpm(-app)?\.sock failed/)
    expect(result.steps.map((step) => step.name)).not.toContain('action-1')
    // nginx never reloaded: the same master and workers, every config file as it was.
    const after = await servicePids(host)
    expect([after.nginxMaster, after.nginxWorkers]).toEqual([nginx.nginxMaster, nginx.nginxWorkers])
    expect(await configSnapshot(host)).toEqual(config)
    // The old version serves as before; the target install runs again on its own files.
    expect(await masterPid(host, '/run/php/php8.1-fpm.pid')).toBe(oldMaster)
    expect(await host.http(APP_PROBE_PATH)).toMatchObject({status: 200, body: 'lab 96M'})
    expect(await serviceStatus(host, 'php8.2-fpm')).toBe(0)
    expect((await host.exec(`test -e ${NEW_APP_SOCKET}`, {allowFail: true})).code).not.toBe(0)
  })
})
