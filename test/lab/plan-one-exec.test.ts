import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import type {PlanDocument} from '../../src/model/plan.js'
import {DEFAULT_POLICY} from '../../src/model/policy.js'
import type {HostTarget} from '../../src/model/target.js'
import {planHosts} from '../../src/plan/plan-hosts.js'
import {readStateFingerprints} from '../../src/plan/state-fingerprints.js'
import {connectTransport} from '../../src/transport/connect.js'
import type {Transport} from '../../src/transport/transport.js'
import {LOCK_DIR} from './apply-lab-helpers.js'
import {expectStatus, fpmStopped, invalidPmValues, versionSocketMismatch} from './lab/faults-502.js'
import {FPM_SERVICE, FPM_SOCKET, type Lab, type LabHost, startLab} from './lab/index.js'
import {applyRun, type JsonApplyDocument, planDirectory} from './support/apply-cli-helpers.js'
import {buildCli} from './support/plan-helpers.js'
import {runCli} from './support/run-cli.js'
import {savePlan} from '../../src/plan/plan-file.js'
import {labSshTarget} from './support/host-target.js'

/*
 * plan reads each host in one exec: the gather's run also prints the journal status and the state
 * lines the plan's fingerprints are made of. Counted on the transports planHosts opens (as
 * `fpmfix plan` opens them), on hosts whose plans act on services: php-fpm stopped, php-fpm down on
 * a config its own test rejects (no -tt listen line names the socket), nginx passing to a socket
 * that does not exist, with a dead transaction's lock left behind. The fingerprints are checked
 * against a direct state_report on the same host, and the plan then applies (one stale line would
 * refuse it).
 */

const DEAD_TXID = '20260102T030405Z-0123abcd'

describe('plan reads each host in one exec', () => {
  let lab: Lab

  beforeAll(async () => {
    ;[lab] = await Promise.all([startLab({hosts: 3, namePrefix: 'onex'}), buildCli()])
  }, 240_000)

  afterAll(async () => {
    await lab?.stop()
  })

  const target = (host: LabHost): HostTarget => labSshTarget(lab, host)

  const connect = (host: LabHost): Promise<Transport> =>
    connectTransport(target(host), {knownHostsFile: lab.knownHostsPath})

  it('gathers, diagnoses and fingerprints every host in one exec, with fingerprints apply accepts', async () => {
    const [stopped, refused, moved] = lab.hosts as [LabHost, LabHost, LabHost]
    await fpmStopped(stopped)
    await invalidPmValues(refused)
    await versionSocketMismatch(moved)
    const lockInfo = `txid=${DEAD_TXID}\npid=999999999\nowner=ops@laptop\nstarted=2026-01-02T03:04:05Z\n`
    await moved.exec(`mkdir -p ${LOCK_DIR}`)
    await moved.writeFile(`${LOCK_DIR}/info`, lockInfo)

    const execs = new Map<string, string[]>()
    const plan: PlanDocument = await planHosts(lab.hosts.map(target), {
      policy: DEFAULT_POLICY,
      forks: lab.hosts.length,
      progress: 'silent',
      open: async (host, work) => {
        const transport = await connectTransport(host, {knownHostsFile: lab.knownHostsPath})
        const counted: Transport = {
          kind: transport.kind,
          connection: transport.connection,
          exec: (command, options) => {
            execs.set(host.name, [...(execs.get(host.name) ?? []), command])
            return transport.exec(command, options)
          },
          close: () => transport.close(),
        }
        try {
          return await work(counted)
        } finally {
          await transport.close()
        }
      },
    })

    const planned = (host: LabHost) => plan.hosts.find((entry) => entry.name === host.name)!
    for (const host of lab.hosts) {
      expect(planned(host).status, JSON.stringify(planned(host).error)).toBe('changes')
      expect(execs.get(host.name)).toEqual(['sh -s'])
    }
    const stateKeys = (host: LabHost) =>
      planned(host)
        .fingerprints.filter((fingerprint) => fingerprint.kind === 'state')
        .map((fingerprint) => fingerprint.key)
    for (const host of [stopped, refused]) {
      expect(stateKeys(host)).toEqual(expect.arrayContaining([`service:${FPM_SERVICE}`, `socket:${FPM_SOCKET}`]))
    }
    expect(stateKeys(moved)).toContain('service:nginx')
    expect(planned(moved).notes).toContain(
      `the host lock is held by transaction ${DEAD_TXID} (ops@laptop, since 2026-01-02T03:04:05Z)`,
    )

    // What apply's stale check recomputes, read in an exec of its own.
    for (const host of lab.hosts) {
      const fingerprints = planned(host).fingerprints.filter((fingerprint) => fingerprint.kind === 'state')
      const transport = await connect(host)
      try {
        expect(await readStateFingerprints(transport, stateKeys(host))).toEqual(fingerprints)
      } finally {
        await transport.close()
      }
    }

    await moved.exec(`rm -rf ${LOCK_DIR}`)
    const {dir, cleanup} = await planDirectory()
    try {
      await savePlan(`${dir}/plan.json`, plan)
      const run = await runCli<JsonApplyDocument>(['apply', `${dir}/plan.json`, '--json'], {timeoutMs: 180_000})
      for (const host of lab.hosts) {
        const {host: result, report} = await applyRun(host, run)
        expect(result.status, report).toBe('applied')
        await expectStatus(host, '/index.php', 200)
      }
    } finally {
      await cleanup()
    }
  }, 300_000)
})
