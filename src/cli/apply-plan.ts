import {applyHostPlan, buildTxSpec, COMMIT_STEP, forceUnlock, transactionStepList} from '../apply/index.js'
import type {ApplyOptions, ApplyResult} from '../apply/types.js'
import {FpmfixError} from '../errors.js'
import type {HostPlan, PlanDocument} from '../model/plan.js'
import type {HostTarget} from '../model/target.js'
import {STEPS} from '../protocol/journal.js'
import {statusOf, type ApplyOutcome} from '../render/apply-text.js'
import {splitBatches, type SerialStep} from '../rollout/batches.js'
import {RETEST_STEP, UNDO_STEP, type RetestedResult} from '../rollout/retest.js'
import {RolloutGate, type RolloutPolicy, type RolloutReport} from '../rollout/rollout.js'
import {runBatches, type NotStarted, type RunHostsOptions, type StartGate} from '../run/host-runner.js'
import type {StepSpec, StepsOutcome, StepTree} from '../run/step-tree.js'
import {describeLoad} from '../verify/verify-host.js'
import {retestCommitted, type RetestOptions} from './apply-verify.js'
import type {ConnectionFlagValues} from './connection-flags.js'
import {withHost} from './hosts.js'
import {transactionEnded, transactionStarted} from './interrupt.js'

export interface ApplyPlanOptions extends RunHostsOptions {
  flags: ConnectionFlagValues
  probeUrls: string[]
  forceUnlock?: string | undefined
  /** --serial and --max-fail-percentage: hosts in batches behind a health gate. Without: all at once, none stops another. */
  rollout?: {steps: SerialStep[]; policy: RolloutPolicy} | undefined
  /** --verify: retest each host under load once it committed; a failed retest undoes its change. */
  retest?: RetestOptions | undefined
}

/** What applying a plan did: each host that ran (or had nothing to do), the hosts a stopped rollout never started. */
export interface AppliedPlan {
  outcomes: ApplyOutcome[]
  notStarted: NotStarted[]
  rollout?: RolloutReport
}

/** The transaction's steps as the host will report them, then its commit (or rollback), then the retest. */
function transactionSteps(host: HostPlan, options: ApplyOptions, retest: RetestOptions | undefined): StepSpec[] {
  return [
    ...transactionStepList(buildTxSpec(host, options)),
    ...(retest === undefined
      ? []
      : [
          {name: RETEST_STEP, title: `retest under load: ${describeLoad(retest.load)} per route`},
          {name: UNDO_STEP, title: 'roll back if the retest fails'},
        ]),
  ]
}

/** How the retest ended, on the steps after the transaction's (which the host reported as it went). */
function stepsOutcome(result: RetestedResult): StepsOutcome {
  if (result.verify === undefined) return transactionOutcome(result)
  if (result.verify.status === 'passed') return {completed: [RETEST_STEP]}
  return {
    completed: result.undo?.status === 'undone' ? [UNDO_STEP] : [],
    failedStep: RETEST_STEP,
    message: result.output?.split('\n')[0] ?? 'failed',
  }
}

function transactionOutcome(result: ApplyResult): StepsOutcome {
  switch (result.status) {
    case 'applied':
    case 'undone':
      return {completed: [COMMIT_STEP]}
    case 'unchanged':
      return {}
    case 'already-applied':
      return {completed: [STEPS.check]}
    case 'refused-stale':
      return {failedStep: STEPS.check, message: `stale: ${(result.staleReasons ?? result.stale ?? []).join('; ')}`}
    case 'locked':
      return {
        failedStep: STEPS.lock,
        message: `held by ${result.lock?.owner ?? '?'} (transaction ${result.lock?.txid ?? '?'})`,
      }
    default:
      return {
        failedStep: result.failedStep ?? COMMIT_STEP,
        message: `${result.status}${result.output ? `: ${result.output.trim().split('\n').at(-1)}` : ''}`,
      }
  }
}

function optionsFor(
  host: HostPlan,
  options: ApplyPlanOptions,
  step: (label: string) => void,
  tree?: StepTree,
): ApplyOptions {
  const verify = host.verify
  const probeUrls = options.probeUrls.map((url) => ({url}))
  const http = probeUrls.length > 0 ? probeUrls : verify?.probes.http
  return {
    ...(verify === undefined ? {} : {fpm: verify.fpm, nginx: verify.nginx}),
    probes: {
      ...(verify?.probes.fastcgi === undefined ? {} : {fastcgi: verify.probes.fastcgi}),
      ...(http === undefined ? {} : {http}),
    },
    // --probe-url stands for the plan's HTTP probes everywhere: after nginx's reload as well as at the end.
    ...(probeUrls.length > 0 ? {gateHttpProbes: probeUrls} : {}),
    onStep: (event) => {
      transactionStarted(host.name, event.txid)
      tree?.report(event.name, event.ms)
      step(event.label)
    },
  }
}

/** The rollout's gate as the host runner asks it, each host's outcome read as its apply status. */
function startGate(gate: RolloutGate): StartGate<RetestedResult> {
  return {
    closed: () => gate.closed(),
    started: () => gate.started(),
    ended: (batch, outcome) => gate.ended(batch, statusOf(outcome)),
  }
}

/**
 * Apply the plan's hosts reached as `targets` say; each host ends applied, unchanged or rolled
 * back on its own. Hosts with something to do go in batches (one without a rollout), at most
 * `forks` at once; a host with nothing to do is reported unchanged without being contacted.
 */
export async function applyPlan(
  plan: PlanDocument,
  targets: HostTarget[],
  options: ApplyPlanOptions,
): Promise<AppliedPlan> {
  const byName = new Map(plan.hosts.map((host) => [host.name, host]))
  const idle = (target: HostTarget): boolean =>
    byName.get(target.name)!.status !== 'changes' && options.forceUnlock === undefined
  const active = targets.filter((target) => !idle(target))
  const batches = options.rollout === undefined ? [active] : splitBatches(active, options.rollout.steps)
  const gate = options.rollout === undefined ? undefined : new RolloutGate(options.rollout.policy.maxFailPercentage)
  const run = await runBatches<RetestedResult>(
    batches,
    async (target, step, tree) => {
      const host = byName.get(target.name)!
      return withHost(target, options.flags, async (transport) => {
        if (options.forceUnlock !== undefined) {
          step('force-unlock')
          const unlocked = await forceUnlock(transport, options.forceUnlock)
          if (!unlocked.removed && unlocked.lock !== undefined) {
            throw new FpmfixError(
              'LOCKED',
              `lock ${unlocked.lock.txid} was not removed: ${unlocked.lock.alive ? 'its transaction is still running' : 'it belongs to another transaction'}`,
              {host: target.name},
            )
          }
        }
        transactionStarted(host.name)
        let result: ApplyResult | undefined
        try {
          result = await applyHostPlan(transport, host, optionsFor(host, options, step, tree))
        } finally {
          transactionEnded(host.name, result?.status === 'applied')
        }
        if (options.retest === undefined) return result
        // The transaction's end shows before the retest runs.
        for (const name of transactionOutcome(result).completed ?? []) tree?.report(name)
        return retestCommitted(transport, target, host, result, options.retest, step)
      })
    },
    {
      ...options,
      ...(gate === undefined ? {} : {gate: startGate(gate)}),
      steps: (target) => {
        const host = byName.get(target.name)!
        return host.status === 'changes'
          ? {
              steps: transactionSteps(
                host,
                optionsFor(host, options, () => undefined),
                options.retest,
              ),
              outcome: stepsOutcome,
            }
          : undefined
      },
    },
  )
  const ran = new Map(run.outcomes.map((outcome) => [outcome.target.name, outcome]))
  const outcomes = targets.flatMap((target): ApplyOutcome[] => {
    if (idle(target)) return [{target, ok: true, value: {status: 'unchanged', steps: []}, durationMs: 0}]
    const outcome = ran.get(target.name)
    return outcome === undefined ? [] : [outcome]
  })
  if (options.rollout === undefined) return {outcomes, notStarted: run.notStarted}
  const stopped = gate?.stopped
  const rollout: RolloutReport = {
    ...options.rollout.policy,
    batches: batches.map((batch) => batch.map((target) => target.name)),
    ...(stopped === undefined ? {} : {stopped}),
  }
  return {outcomes, notStarted: run.notStarted, rollout}
}
