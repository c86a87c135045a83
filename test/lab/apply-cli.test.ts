import {copyFile, writeFile} from 'node:fs/promises'
import {hostname, userInfo} from 'node:os'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {journalFile, lockExists, nsenterTransport, servicePids, startDetached} from './apply-lab-helpers.js'
import {expectStatus, httpGetLargeHeaders, socketOwnedByRoot, versionSocketMismatch} from './lab/faults-502.js'
import {tcpAccepts} from './lab/http-probe.js'
import {FPM_POOL_FILE, LAB_SITE_AVAILABLE, type Lab, type LabHost, setPoolDirectiveText, startLab} from './lab/index.js'
import {
  applyPlanFile,
  applyRun,
  changedPaths,
  configSnapshot,
  connectionArgs,
  editPlannedChange,
  gatedApplyOptions,
  type JsonApplyDocument,
  journalEntries,
  planDirectory,
  probeGate,
  readPlanFile,
  type SavedPlan,
  savePlan,
  startCli,
  unexplainedChanges,
  waitForLockDir,
  waitForTransactionEnd,
} from './support/apply-cli-helpers.js'
import {acceptedLogins, hostKeyFingerprint, sshdLog} from './support/host-evidence.js'
import {buildCli, problems, runPlan} from './support/plan-helpers.js'
import {rekeySshd, trustInKnownHosts} from './lab/rekey.js'
import {describeRun, runCli} from './support/run-cli.js'

const SOCKET_82 = 'fastcgi_pass unix:/run/php/php8.2-fpm.sock;'
const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
const HOSTS = [
  'nginxInvalid',
  'fpmInvalid',
  'probeFails',
  'stale',
  'lock',
  'killEarly',
  'killInProbe',
  'noTty',
  'rollback',
  'tampered',
  'rekeyed',
  'limitA',
  'limitB',
  'interrupted',
] as const
type Role = (typeof HOSTS)[number]

describe('fpmfix apply and rollback through the CLI over SSH: failures roll back, refusals write nothing', () => {
  // Every apply of a saved plan here is `fpmfix apply PLANFILE` with no connection flag: the plan says how to reach each host.
  let lab: Lab
  let plans: Awaited<ReturnType<typeof planDirectory>>
  const host = (role: Role): LabHost => lab.hosts[HOSTS.indexOf(role)]!
  const planFor = (role: Role, name = 'plan'): Promise<SavedPlan> =>
    savePlan(lab, host(role), `${plans.dir}/${role}-${name}.json`)

  beforeAll(async () => {
    plans = await planDirectory()
    ;[lab] = await Promise.all([startLab({hosts: HOSTS.length, namePrefix: 'applycli'}), buildCli()])
  })

  afterAll(async () => {
    await lab?.stop()
    await plans?.cleanup()
  })

  it('rolls back a candidate nginx -t rejects: exit 4, failed step validate, files byte-identical, nginx never reloaded', async () => {
    const target = host('nginxInvalid')
    await versionSocketMismatch(target)
    const plan = await planFor('nginxInvalid')
    const pristine = `${plans.dir}/nginxInvalid-pristine.json`
    await copyFile(plan.file, pristine)
    await editPlannedChange(plan.file, target.name, LAB_SITE_AVAILABLE, (after) =>
      after.replace(SOCKET_82, 'fastcgi_pass unix:/run/php/php8.2-fpm.sock'),
    )
    const before = await configSnapshot(target)
    const pids = await servicePids(target)

    const applied = await applyPlanFile(lab, target, plan.file)

    expect(applied.run.code, applied.report).toBe(4)
    expect(applied.host, applied.report).toMatchObject({status: 'rolled-back', failedStep: 'validate'})
    expect(applied.host.output, applied.report).toMatch(/\[emerg\] .* in \/etc\/nginx\/sites-enabled\/lab:\d+/)
    expect(changedPaths(before, await configSnapshot(target))).toEqual([])
    expect((await servicePids(target)).nginxWorkers, 'nginx was not reloaded').toEqual(pids.nginxWorkers)
    expect((await target.http('/index.php')).status).toBe(502)
    expect(await lockExists(target)).toBe(false)

    // The restored bytes are exactly what the plan was made from: the unedited plan still applies.
    const retry = await applyPlanFile(lab, target, pristine)
    expect(retry.run.code, retry.report).toBe(0)
    expect((await target.http('/index.php')).status).toBe(200)
  })

  it('rolls back a pool change php-fpm -t rejects (pm.max_children = 0): exit 4, php-fpm left running as it was', async () => {
    const target = host('fpmInvalid')
    await socketOwnedByRoot(target)
    const plan = await planFor('fpmInvalid')
    await editPlannedChange(plan.file, target.name, FPM_POOL_FILE, (after) =>
      setPoolDirectiveText(after, 'www', 'pm.max_children', '0'),
    )
    const before = await configSnapshot(target)
    const pids = await servicePids(target)

    const applied = await applyPlanFile(lab, target, plan.file)

    expect(applied.run.code, applied.report).toBe(4)
    expect(applied.host, applied.report).toMatchObject({status: 'rolled-back', failedStep: 'validate'})
    expect(applied.host.output, applied.report).toContain('pm.max_children')
    expect(changedPaths(before, await configSnapshot(target))).toEqual([])
    const after = await servicePids(target)
    expect(after.fpmMaster, 'php-fpm was not restarted').toBe(pids.fpmMaster)
    expect(after.fpmWorkers).toEqual(pids.fpmWorkers)
    expect((await target.http('/index.php')).status).toBe(502)
  })

  it("rolls back when a --probe-url fails nginx's gate (nothing listening, or a 502): files restored, nginx back on the old config", async () => {
    const target = host('probeFails')
    await versionSocketMismatch(target)
    const plan = await planFor('probeFails')
    const before = await configSnapshot(target)
    const deadPort = target.sparePorts[0]!
    expect(await tcpAccepts(deadPort), `something listens on ${deadPort}`).toBe(false)
    expect((await httpGetLargeHeaders(target.httpPort, '/big-header.php?kb=16')).status, 'the 502 probe target').toBe(
      502,
    )

    for (const url of [`http://127.0.0.1:${deadPort}/`, `http://127.0.0.1:${target.httpPort}/big-header.php?kb=16`]) {
      const applied = await applyPlanFile(lab, target, plan.file, ['--probe-url', url])

      expect(applied.run.code, applied.report).toBe(4)
      // --probe-url stands for the plan's HTTP probes, so it is checked right after nginx's reload.
      const nginxAction = plan.saved.actions.findIndex((action) => action.target.kind === 'nginx')
      expect(nginxAction).toBeGreaterThanOrEqual(0)
      expect(applied.host, applied.report).toMatchObject({status: 'rolled-back', failedStep: `gate-${nginxAction}`})
      expect(applied.host.output, applied.report).toContain(`GET ${url}`)
      expect(
        applied.host.steps.map((step) => step.name),
        applied.report,
      ).toContain(`action-${nginxAction}`)
      expect(changedPaths(before, await configSnapshot(target)), url).toEqual([])
      // The reload that activated the change was undone: the site is broken again in the old way.
      expect((await target.http('/index.php')).status, url).toBe(502)
    }

    const retry = await applyPlanFile(lab, target, plan.file)
    expect(retry.run.code, retry.report).toBe(0)
    expect((await target.http('/index.php')).status).toBe(200)
  })

  it('refuses a stale plan: a planned file edited on the host after planning → exit 6, nothing written', async () => {
    const target = host('stale')
    await versionSocketMismatch(target)
    const plan = await planFor('stale')
    await target.exec(`printf '# edited by hand after the plan\\n' >> ${LAB_SITE_AVAILABLE}`)
    const before = await configSnapshot(target)

    const applied = await applyPlanFile(lab, target, plan.file)

    expect(applied.run.code, applied.report).toBe(6)
    expect(applied.host, applied.report).toMatchObject({status: 'refused-stale'})
    expect(applied.host.stale, applied.report).toContain(LAB_SITE_AVAILABLE)
    expect(applied.host.steps.map((step) => step.name)).not.toContain('write')
    expect(changedPaths(before, await configSnapshot(target))).toEqual([])
    expect((await target.http('/index.php')).status).toBe(502)
    expect(await lockExists(target)).toBe(false)
  })

  it('refuses a second apply while another holds the host lock: exit 7 naming the holder; once the holder commits, the same plan is already applied', async () => {
    const target = host('lock')
    await versionSocketMismatch(target)
    const first = await planFor('lock', 'first')
    const second = await planFor('lock', 'second')
    const gate = await probeGate()
    try {
      // The holder: the first plan's transaction, parked in its probe step until the gate opens.
      const holder = await startDetached(nsenterTransport(target), first.saved, gatedApplyOptions(first.saved, gate))
      await gate.arrived

      const refused = await applyPlanFile(lab, target, second.file)

      expect(refused.run.code, refused.report).toBe(7)
      expect(refused.host, refused.report).toMatchObject({
        status: 'locked',
        lock: {owner: `${userInfo().username}@${hostname()}`, alive: true, txid: holder},
      })
      const refusedText = await runCli(['apply', second.file])
      expect(refusedText.code, describeRun(refusedText)).toBe(7)
      expect(refusedText.stdout).toContain(`locked by ${userInfo().username}@${hostname()}, transaction ${holder}`)
      expect(await target.readFile(LAB_SITE_AVAILABLE)).toBe(first.saved.changes[0]!.after)

      gate.release(200)
      expect(await waitForTransactionEnd(target)).toEqual({txid: holder, outcome: 'committed'})
    } finally {
      await gate.close()
    }
    expect((await target.http('/index.php')).status).toBe(200)
    const before = await configSnapshot(target)

    // The refused plan is the plan the holder applied: nothing left to do, nothing written.
    const late = await applyPlanFile(lab, target, second.file)
    expect(late.run.code, late.report).toBe(0)
    expect(late.host, late.report).toMatchObject({status: 'already-applied', appliedBy: expect.any(String)})
    expect(changedPaths(before, await configSnapshot(target))).toEqual([])
    const lateText = await runCli(['apply', second.file])
    expect(lateText.code, describeRun(lateText)).toBe(0)
    expect(lateText.stdout).toMatch(
      /: already applied\n\s+transaction \S+\n\s+already applied by transaction \S+; nothing was written/,
    )
    const replan = await runPlan(lab, target, {detailedExitcode: true})
    expect(replan.json.status).toBe('unchanged')
    expect(replan.json.notes ?? [], 'a later plan has nothing to say about it').toEqual([])
  })

  for (const [role, moment] of [
    ['killEarly', 'as soon as the host lock exists'],
    ['killInProbe', 'while the transaction waits on its probe'],
  ] as const) {
    it(`SIGKILL of the client ${moment}: the transaction finishes on the host alone, and later commands agree`, async () => {
      const target = host(role)
      await versionSocketMismatch(target)
      const plan = await planFor(role)
      const before = await configSnapshot(target)
      // The probe answers only once the client is dead, so the client cannot have finished first.
      const gate = await probeGate()
      try {
        const running = await startCli(['apply', plan.file, '--json', '--probe-url', gate.url])
        if (role === 'killEarly') await waitForLockDir(target)
        else await gate.arrived
        running.child.kill('SIGKILL')
        const killed = await running.done
        expect(killed.signal).toBe('SIGKILL')
        expect(killed.stdout, 'the client died before it could report an outcome').toBe('')
        gate.release(200)

        const {txid, outcome} = await waitForTransactionEnd(target)
        const log = await journalFile(target, txid, 'log')
        expect(outcome, log).toBe('committed')
      } finally {
        await gate.close()
      }
      expect(unexplainedChanges(before, await configSnapshot(target), plan.saved)).toEqual([])
      expect(await target.readFile(LAB_SITE_AVAILABLE)).toBe(plan.saved.changes[0]!.after)
      expect((await target.http('/index.php')).status).toBe(200)
      const replan = await runPlan(lab, target, {detailedExitcode: true})
      expect(replan.json.status).toBe('unchanged')
      expect(replan.exitCode, JSON.stringify(replan.json, null, 2)).toBe(0)
      expect(problems(replan.json)).toEqual([])
      expect(replan.json.notes ?? []).toEqual([])
      const again = await applyPlanFile(lab, target, plan.file)
      expect(again.run.code, again.report).toBe(0)
      expect(again.host.status, again.report).toBe('already-applied')
    })
  }

  it('Ctrl-C during apply exits 130 naming the host and its transaction, which then commits on its own', async () => {
    const target = host('interrupted')
    await versionSocketMismatch(target)
    const plan = await planFor('interrupted')
    const before = await configSnapshot(target)
    // The probe answers only after the interrupt, so the client cannot have finished first.
    const gate = await probeGate()
    try {
      const running = await startCli(['apply', plan.file, '--probe-url', gate.url])
      await gate.arrived

      running.child.kill('SIGINT')
      const interrupted = await running.done
      gate.release(200)

      expect(interrupted.code, interrupted.stderr).toBe(130)
      expect(interrupted.stderr).toContain('detached from this client, and commits or rolls back on its own')
      const {txid, outcome} = await waitForTransactionEnd(target)
      expect(interrupted.stderr).toContain(`Interrupted while applying to ${target.name} (transaction ${txid})`)
      expect(outcome).toBe('committed')
    } finally {
      await gate.close()
    }
    expect(unexplainedChanges(before, await configSnapshot(target), plan.saved)).toEqual([])
    expect((await target.http('/index.php')).status).toBe(200)
  })

  it('apply TARGET refuses without a terminal unless --auto-approve (exit 64 NOT_A_TTY), then plans and applies', async () => {
    const target = host('noTty')
    await socketOwnedByRoot(target)
    const before = await configSnapshot(target)

    const text = await runCli(['apply', ...connectionArgs(lab), target.name])
    expect(text.code, describeRun(text)).toBe(64)
    expect(text.stderr).toContain('[NOT_A_TTY]')
    const json = await runCli<JsonApplyDocument>(['apply', ...connectionArgs(lab), target.name, '--json'])
    expect(json.code, describeRun(json)).toBe(64)
    expect(json.json?.error?.code).toBe('NOT_A_TTY')
    expect(changedPaths(before, await configSnapshot(target))).toEqual([])
    expect(await journalEntries(target)).toEqual([])
    expect((await target.http('/index.php')).status).toBe(502)

    const approved = await applyRun(
      target,
      await runCli<JsonApplyDocument>(['apply', ...connectionArgs(lab), target.name, '--auto-approve', '--json'], {
        timeoutMs: 180_000,
      }),
    )
    expect(approved.run.code, approved.report).toBe(0)
    expect(approved.host.status, approved.report).toBe('applied')
    expect(approved.run.stderr, 'the plan is shown before applying').toContain(FPM_POOL_FILE)
    expect((await target.http('/index.php')).status).toBe(200)
    expect((await configSnapshot(target)).get(FPM_POOL_FILE)).toMatchObject({
      mode: before.get(FPM_POOL_FILE)!.mode,
      owner: before.get(FPM_POOL_FILE)!.owner,
    })
  })

  it('rollback TARGET --auto-approve restores the original config and brings the 502 back', async () => {
    const target = host('rollback')
    await socketOwnedByRoot(target)
    const plan = await planFor('rollback')
    const before = await configSnapshot(target)
    const applied = await applyPlanFile(lab, target, plan.file)
    expect(applied.run.code, applied.report).toBe(0)
    expect((await target.http('/index.php')).status).toBe(200)

    const unconfirmed = await runCli(['rollback', ...connectionArgs(lab), target.name])
    expect(unconfirmed.code, describeRun(unconfirmed)).toBe(64)
    expect(unconfirmed.stderr).toContain('[NOT_A_TTY]')
    expect((await target.http('/index.php')).status).toBe(200)

    await target.exec(': > /var/log/nginx/error.log')
    const undone = await applyRun(
      target,
      await runCli<JsonApplyDocument>(['rollback', ...connectionArgs(lab), target.name, '--auto-approve', '--json'], {
        timeoutMs: 180_000,
      }),
    )

    expect(undone.run.code, undone.report).toBe(0)
    expect(undone.host, undone.report).toMatchObject({
      status: 'undone',
      undid: applied.host.txid,
      note: `rolled back transaction ${applied.host.txid}: restored ${FPM_POOL_FILE}`,
    })
    expect(changedPaths(before, await configSnapshot(target))).toEqual([])
    expect((await target.http('/index.php')).status).toBe(502)
    expect(await target.readFile('/var/log/nginx/error.log')).toMatch(
      /php8\.2-fpm\.sock failed \(13: Permission denied\)/,
    )

    const nothingLeft = await applyRun(
      target,
      await runCli<JsonApplyDocument>(['rollback', ...connectionArgs(lab), target.name, '--auto-approve', '--json']),
    )
    expect(nothingLeft.run.code, nothingLeft.report).toBe(0)
    expect(nothingLeft.host.status).toBe('unchanged')
    expect(changedPaths(before, await configSnapshot(target))).toEqual([])
  })

  it('rejects a plan file whose edited content no longer matches its afterSha256, before touching the host', async () => {
    const target = host('tampered')
    await versionSocketMismatch(target)
    const plan = await planFor('tampered')
    const document = await readPlanFile(plan.file)
    const change = document.hosts[0]!.changes[0]!
    change.after = change.after.replace(SOCKET_82, 'fastcgi_pass unix:/run/php/php7.4-fpm.sock;')
    await writeFile(plan.file, JSON.stringify(document))

    const applied = await applyPlanFile(lab, target, plan.file)

    expect(applied.run.code, applied.report).toBe(3)
    expect(applied.host, applied.report).toMatchObject({status: 'failed', error: {code: 'PLAN_FILE_INVALID'}})
    expect(applied.host.error?.message).toContain(
      `the new content of ${LAB_SITE_AVAILABLE} does not match its afterSha256`,
    )
    expect(await journalEntries(target)).toEqual([])

    await writeFile(plan.file, '{"kind": "something else"}')
    const notAPlan = await runCli<JsonApplyDocument>(['apply', plan.file, '--json'])
    expect(notAPlan.code, describeRun(notAPlan)).toBe(65)
    expect(notAPlan.json?.error?.code).toBe('PLAN_FILE_INVALID')
    await expectStatus(target, '/index.php', 502)
  })

  it('refuses a host whose SSH host key changed since the plan, before logging in, although known_hosts now trusts the new key: exit 10, both fingerprints, nothing written', async () => {
    const target = host('rekeyed')
    await versionSocketMismatch(target)
    const plan = await planFor('rekeyed')
    const oldFingerprint = await hostKeyFingerprint(target.hostKeyLine)
    expect(plan.saved.connection).toEqual({
      connection: 'ssh',
      become: false,
      ssh: {
        name: target.name,
        address: '127.0.0.1',
        port: target.sshPort,
        user: 'root',
        privateKeyFile: lab.clientKeyPath,
        knownHostsFile: lab.knownHostsPath,
        hostKey: {type: 'ssh-ed25519', sha256: oldFingerprint},
      },
    })

    const newLine = await rekeySshd(target)
    await trustInKnownHosts(lab.knownHostsPath, target, newLine)
    const newFingerprint = await hostKeyFingerprint(newLine)
    expect(newFingerprint).not.toBe(oldFingerprint)
    const before = await configSnapshot(target)
    const sshdLines = (await sshdLog(target)).length

    const applied = await applyPlanFile(lab, target, plan.file)

    expect(applied.run.code, applied.report).toBe(10)
    expect(applied.host, applied.report).toMatchObject({status: 'failed', error: {code: 'PLAN_HOSTKEY_MISMATCH'}})
    expect(applied.host.error?.message).toContain(oldFingerprint)
    expect(applied.host.error?.message).toContain(newFingerprint)
    const text = await runCli(['apply', plan.file])
    expect(text.code, describeRun(text)).toBe(10)
    expect(text.stdout).toMatch(
      new RegExp(`PLAN_HOSTKEY_MISMATCH.*${escapeRegExp(newFingerprint)}.*${escapeRegExp(oldFingerprint)}`),
    )
    expect(changedPaths(before, await configSnapshot(target))).toEqual([])
    expect(await journalEntries(target)).toEqual([])
    expect(acceptedLogins((await sshdLog(target)).slice(sshdLines)), 'no login after the re-key').toEqual([])
    expect((await target.http('/index.php')).status).toBe(502)

    // Once the new key is verified, a plan made against it applies.
    const fresh = await planFor('rekeyed', 'after-rekey')
    expect(fresh.saved.connection?.ssh?.hostKey?.sha256).toBe(newFingerprint)
    const retry = await applyPlanFile(lab, target, fresh.file)
    expect(retry.run.code, retry.report).toBe(0)
    expect((await target.http('/index.php')).status).toBe(200)
  })

  it('applies only the --limit hosts of a two-host plan (the other skipped and untouched), saying which flag overrides the plan', async () => {
    const [first, second] = [host('limitA'), host('limitB')]
    await Promise.all([versionSocketMismatch(first), versionSocketMismatch(second)])
    const file = `${plans.dir}/limit-plan.json`
    const planned = await runCli(['plan', ...connectionArgs(lab), first.name, second.name, '-o', file], {
      timeoutMs: 120_000,
    })
    expect(planned.code, describeRun(planned)).toBe(0)
    expect(planned.stdout).toContain(`2 hosts: 2 to change (${first.name}, ${second.name})`)
    const untouched = await configSnapshot(second)
    const knownHostsCopy = `${plans.dir}/known_hosts.copy`
    await copyFile(lab.knownHostsPath, knownHostsCopy)

    const run = await runCli<JsonApplyDocument>(
      ['apply', file, '-l', first.name, '--known-hosts', knownHostsCopy, '--json'],
      {
        timeoutMs: 180_000,
      },
    )

    expect(run.code, describeRun(run)).toBe(0)
    expect(run.json?.hosts.map((entry) => [entry.name, entry.status])).toEqual([
      [first.name, 'applied'],
      [second.name, 'skipped'],
    ])
    expect(run.json?.summary).toMatchObject({hosts: 2, statuses: {applied: 1, skipped: 1}, hostsToChange: [first.name]})
    expect(run.stderr).toContain(
      `${first.name}: --known-hosts ${knownHostsCopy} replaces the plan's ${lab.knownHostsPath}`,
    )
    expect(run.stderr).not.toContain(`${second.name}:`)
    expect((await first.http('/index.php')).status).toBe(200)
    expect((await second.http('/index.php')).status).toBe(502)
    expect(changedPaths(untouched, await configSnapshot(second))).toEqual([])
    expect(await journalEntries(second)).toEqual([])
  })
})
