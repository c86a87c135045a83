import {toFpmfixError, type FpmfixError} from '../errors.js'
import {gather} from '../gather/index.js'
import {PLAN_FORMAT_VERSION, summarize, type HostPlan, type PlanDocument} from '../model/plan.js'
import type {Policy} from '../model/policy.js'
import type {HostTarget} from '../model/target.js'
import {hostJournalNotes, readHostJournal} from '../protocol/journal-status.js'
import {runHosts, type RunHostsOptions} from '../run/host-runner.js'
import type {Transport} from '../transport/transport.js'
import {FPMFIX_VERSION} from '../version.js'
import {planFromSnapshot} from './plan-from-snapshot.js'
import {snapshotStateFingerprints} from './state-fingerprints.js'

export interface PlanHostsOptions extends RunHostsOptions {
  policy: Policy
  open: <T>(target: HostTarget, work: (transport: Transport) => Promise<T>) => Promise<T>
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

/**
 * Gather, diagnose and plan every host; a host that fails is reported in the plan, never dropped.
 * One exec per host: the gather also reads the journal and the state lines the fingerprints need
 * (an exec more only for what it could not read).
 */
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
        const journal = snapshot.journal ?? (await readHostJournal(transport))
        if (journal !== undefined) plan.notes.push(...hostJournalNotes(journal))
        plan.fingerprints.push(...(await snapshotStateFingerprints(snapshot, stateKeys, transport)))
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
