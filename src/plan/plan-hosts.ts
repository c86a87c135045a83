import {readHostJournal} from '../apply/index.js'
import {toFpmfixError, type FpmfixError} from '../errors.js'
import {gather} from '../gather/index.js'
import {PLAN_FORMAT_VERSION, summarize, type HostPlan, type PlanDocument} from '../model/plan.js'
import type {Policy} from '../model/policy.js'
import type {HostTarget} from '../model/target.js'
import {runHosts, type RunHostsOptions} from '../run/host-runner.js'
import type {Transport} from '../transport/transport.js'
import {FPMFIX_VERSION} from '../version.js'
import {planFromSnapshot} from './plan-from-snapshot.js'
import {readStateFingerprints} from './state-fingerprints.js'

export interface PlanHostsOptions extends RunHostsOptions {
  policy: Policy
  open: <T>(target: HostTarget, work: (transport: Transport) => Promise<T>) => Promise<T>
}

/** What the host's fpmfix journal says, when it is worth telling: an apply running now, or the last one not committed. */
async function journalNotes(transport: Transport): Promise<string[]> {
  let journal: Awaited<ReturnType<typeof readHostJournal>>
  try {
    journal = await readHostJournal(transport)
  } catch {
    return []
  }
  const notes: string[] = []
  const latest = journal.latest
  if (latest?.running)
    notes.push(
      `an fpmfix apply is running on this host now (transaction ${latest.txid}); this plan may be stale when it ends`,
    )
  else if (latest?.interrupted)
    notes.push(
      `fpmfix transaction ${latest.txid} was interrupted; the next apply recovers it (rolls it back or commits it)`,
    )
  else if (latest?.result && latest.result.status !== 'applied') {
    notes.push(
      `the last fpmfix transaction (${latest.txid}) ended ${latest.result.status}${latest.result.failedStep ? ` at step ${latest.result.failedStep}` : ''}`,
    )
  }
  if (journal.lock && journal.lock.txid !== latest?.txid)
    notes.push(
      `the host lock is held by transaction ${journal.lock.txid} (${journal.lock.owner}, since ${journal.lock.started})`,
    )
  return notes
}

export function failedHostPlan(target: HostTarget, error: FpmfixError): HostPlan {
  return {
    name: target.name,
    address: target.address,
    status: 'failed',
    findings: [],
    changes: [],
    actions: [],
    fingerprints: [],
    notes: [],
    error: {code: error.code, message: error.message, ...(error.hint === undefined ? {} : {hint: error.hint})},
  }
}

/** Gather, diagnose and plan every host; a host that fails is reported in the plan, never dropped. */
export async function planHosts(targets: HostTarget[], options: PlanHostsOptions): Promise<PlanDocument> {
  const outcomes = await runHosts(
    targets,
    (target, step) =>
      options.open(target, async (transport) => {
        step('gathering')
        const snapshot = await gather(transport)
        step('diagnosing')
        const {plan, stateKeys} = planFromSnapshot(target, snapshot, {policy: options.policy})
        if (transport.connection !== undefined) plan.connection = transport.connection
        plan.notes.push(...(await journalNotes(transport)))
        if (stateKeys.length > 0) {
          step('fingerprinting state')
          plan.fingerprints.push(...(await readStateFingerprints(transport, stateKeys)))
        }
        return plan
      }),
    options,
  )
  const hosts = outcomes.map((outcome) =>
    outcome.ok ? outcome.value : failedHostPlan(outcome.target, toFpmfixError(outcome.error)),
  )
  return {
    formatVersion: PLAN_FORMAT_VERSION,
    kind: 'fpmfix-plan',
    createdAt: new Date().toISOString(),
    fpmfixVersion: FPMFIX_VERSION,
    hosts,
    summary: summarize(hosts),
  }
}
