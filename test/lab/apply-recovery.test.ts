import {afterAll, afterEach, beforeAll, beforeEach, describe, expect, it} from 'vitest'
import {
  applyHostPlan,
  attachTransaction,
  followTransaction,
  forceUnlock,
  readHostJournal,
} from '../../src/apply/index.js'
import {connectSsh} from '../../src/transport/ssh/ssh-transport.js'
import type {ApplyOptions} from '../../src/apply/index.js'
import type {FileChange} from '../../src/model/plan.js'
import {isFinalState, transactionSteps} from '../../src/protocol/journal.js'
import type {Transport} from '../../src/transport/transport.js'
import {
  changeFile,
  fileFacts,
  fileFingerprint,
  fpmAction,
  hostPlan,
  journalFile,
  labApplyOptions,
  lockExists,
  nginxAction,
  newestTxid,
  nsenterTransport,
  startDetached,
  transactionPid,
  waitForJournal,
} from './apply-lab-helpers.js'
import {
  FPM_POOL_FILE,
  LAB_SITE_AVAILABLE,
  LAB_SITE_ENABLED,
  type Lab,
  type LabHost,
  setPoolDirectiveText,
  startLab,
} from './lab/index.js'
import {probeGate, type ProbeGate} from './support/apply-cli-helpers.js'

describe('apply transactions that outlive or fight their clients', () => {
  let lab: Lab
  let host: LabHost
  let transport: Transport
  let serial = 0

  beforeAll(async () => {
    lab = await startLab({hosts: 1, namePrefix: 'applyrec'})
    host = lab.hosts[0]!
    transport = nsenterTransport(host)
  })

  afterAll(async () => {
    await transport?.close()
    await lab?.stop()
  })

  /**
   * A site change (nginx reload) whose HTTP probe is the gate: a transaction that stays in its
   * probe step, holding the lock, until the test releases the gate (or kills it).
   */
  async function gatedSiteChange(gate: ProbeGate): Promise<{change: FileChange; options: ApplyOptions}> {
    const alias = `alias${(serial += 1)}.example`
    const change = await changeFile(
      host,
      LAB_SITE_AVAILABLE,
      (text) => text.replace(/server_name [^;]*;/, `server_name ${host.name} ${alias};`),
      LAB_SITE_ENABLED,
    )
    const options = {...labApplyOptions(host), probes: {http: [{url: gate.url}]}, probeTimeoutMs: 600_000}
    return {change, options}
  }

  let gate: ProbeGate
  beforeEach(async () => {
    gate = await probeGate()
  })
  afterEach(async () => {
    await gate.close()
  })

  it('refuses a second apply while one runs, naming the holder; a live holder cannot be force-unlocked', async () => {
    const {change, options} = await gatedSiteChange(gate)
    const first = applyHostPlan(
      transport,
      hostPlan(host, [change], [nginxAction('reload')], [fileFingerprint(change)]),
      options,
    )
    await gate.arrived
    const holder = await newestTxid(host)
    const pool = await changeFile(host, FPM_POOL_FILE, (text) =>
      setPoolDirectiveText(text, 'www', 'pm.max_children', '6'),
    )

    const second = await applyHostPlan(
      transport,
      hostPlan(host, [pool], [fpmAction('reload')], [fileFingerprint(pool)]),
      labApplyOptions(host),
    )

    expect(second).toMatchObject({status: 'locked', lock: {txid: holder, owner: 'tester@lab-client', alive: true}})
    expect(await host.readFile(FPM_POOL_FILE)).toBe(pool.before)
    await expect(forceUnlock(transport, holder)).rejects.toMatchObject({code: 'LOCKED'})
    gate.release(200)
    expect(await first).toMatchObject({status: 'applied', txid: holder})
    expect(await lockExists(host)).toBe(false)
  })

  it('recovers the stale lock of a transaction killed after writing: its own script rolls it back, then the new one runs', async () => {
    const siteBefore = await fileFacts(host, LAB_SITE_AVAILABLE)
    const pool = await changeFile(host, FPM_POOL_FILE, (text) =>
      setPoolDirectiveText(text, 'www', 'pm.max_children', '8'),
    )
    // Planned before the doomed transaction touched the site: it must see the site as it was.
    const siteFingerprint = {kind: 'file' as const, key: LAB_SITE_AVAILABLE, sha256: siteBefore.sha}
    const {change, options} = await gatedSiteChange(gate)
    const doomed = await startDetached(
      transport,
      hostPlan(host, [change], [nginxAction('reload')], [fileFingerprint(change)]),
      options,
    )
    await gate.arrived
    await host.exec(`kill -9 -${await transactionPid(host, doomed)}`)
    expect(await lockExists(host)).toBe(true)
    expect(await host.readFile(LAB_SITE_AVAILABLE)).toBe(change.after)

    const result = await applyHostPlan(
      transport,
      hostPlan(host, [pool], [fpmAction('reload')], [fileFingerprint(pool), siteFingerprint]),
      labApplyOptions(host),
    )

    expect(result).toMatchObject({status: 'applied', recoveredLock: {txid: doomed, owner: 'tester@lab-client'}})
    expect(await host.readFile(FPM_POOL_FILE)).toBe(pool.after)
    expect(await fileFacts(host, LAB_SITE_AVAILABLE)).toMatchObject({
      sha: siteBefore.sha,
      mode: siteBefore.mode,
      owner: siteBefore.owner,
    })
    expect(await attachTransaction(transport, doomed)).toMatchObject({
      running: false,
      result: {status: 'rolled-back', failedStep: 'interrupted'},
    })
    expect((await host.http('/index.php')).status).toBe(200)
  })

  it('commits on its own when the client never polls, and attachTransaction reports it', async () => {
    const pool = await changeFile(host, FPM_POOL_FILE, (text) =>
      setPoolDirectiveText(text, 'www', 'pm.max_children', '5'),
    )
    const txid = await startDetached(
      transport,
      hostPlan(host, [pool], [fpmAction('reload')], [fileFingerprint(pool)]),
      labApplyOptions(host),
    )
    expect((await attachTransaction(transport, txid)).result).toBeUndefined()

    await waitForJournal(host, (state) => isFinalState(state.at(-1)), {txid})

    const report = await attachTransaction(transport, txid)
    expect(report).toMatchObject({txid, running: false, interrupted: false, result: {status: 'applied', txid}})
    // The runtime reports exactly the steps the protocol names.
    expect(report.steps.map((step) => step.name)).toEqual(transactionSteps([false]))
    expect(await host.readFile(FPM_POOL_FILE)).toBe(pool.after)
    expect(await readHostJournal(transport)).toMatchObject({latest: {txid, result: {status: 'applied'}}})
  })

  it('rolls back by itself on SIGTERM mid-apply', async () => {
    const siteBefore = await fileFacts(host, LAB_SITE_AVAILABLE)
    const {change, options} = await gatedSiteChange(gate)
    const txid = await startDetached(
      transport,
      hostPlan(host, [change], [nginxAction('reload')], [fileFingerprint(change)]),
      options,
    )
    await gate.arrived

    await host.exec(`kill -TERM ${await transactionPid(host, txid)}`)
    // sh runs its trap once the probe it waits on returns.
    gate.release(200)
    await waitForJournal(host, (state) => isFinalState(state.at(-1)), {txid})

    const report = await attachTransaction(transport, txid)
    expect(report.result).toMatchObject({status: 'rolled-back', failedStep: 'signal-TERM'})
    expect(report.result?.output).toContain('received SIGTERM during step probe')
    expect((await fileFacts(host, LAB_SITE_AVAILABLE)).sha).toBe(siteBefore.sha)
    expect((await host.http('/index.php')).status).toBe(200)
    expect(await lockExists(host)).toBe(false)
  })

  it('over SSH with sudo: a dropped connection does not stop the transaction, and a new connection finds it committed', async () => {
    const connect = (): Promise<Transport> =>
      connectSsh({
        host: '127.0.0.1',
        port: host.sshPort,
        user: 'deploy',
        privateKeyFile: lab.clientKeyPath,
        knownHostsFile: lab.knownHostsPath,
        agent: '',
        become: true,
      })
    const {change, options} = await gatedSiteChange(gate)
    const first = await connect()
    const following = applyHostPlan(
      first,
      hostPlan(host, [change], [nginxAction('reload')], [fileFingerprint(change)]),
      options,
    )
    await gate.arrived
    const txid = await newestTxid(host)

    await first.close()

    await expect(following).rejects.toMatchObject({details: {txid}})
    gate.release(200)
    const second = await connect()
    try {
      const result = await followTransaction(second, txid)
      expect(result).toMatchObject({status: 'applied', txid})
      expect(await host.readFile(LAB_SITE_AVAILABLE)).toBe(change.after)
    } finally {
      await second.close()
    }
  })

  it('force-unlocks only the named dead lock, after rolling back what its transaction wrote', async () => {
    const siteBefore = await fileFacts(host, LAB_SITE_AVAILABLE)
    const {change, options} = await gatedSiteChange(gate)
    const txid = await startDetached(
      transport,
      hostPlan(host, [change], [nginxAction('reload')], [fileFingerprint(change)]),
      options,
    )
    await gate.arrived
    await host.exec(`kill -9 -${await transactionPid(host, txid)}`)

    await expect(forceUnlock(transport, '20000101T000000Z-00000000')).rejects.toMatchObject({code: 'USAGE'})
    expect(await lockExists(host)).toBe(true)
    const unlocked = await forceUnlock(transport, txid)

    expect(unlocked).toMatchObject({removed: true, holderState: 'rolled-back', lock: {txid, alive: false}})
    expect(await lockExists(host)).toBe(false)
    expect((await fileFacts(host, LAB_SITE_AVAILABLE)).sha).toBe(siteBefore.sha)
    expect(await journalFile(host, txid, 'state')).toMatch(/rollback\nrolled-back\n$/)
  })
})
