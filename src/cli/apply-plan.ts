import {applyHostPlan, buildTxSpec, COMMIT_STEP, forceUnlock, transactionStepList} from '../apply/index.js'
import type {ApplyOptions, ApplyResult} from '../apply/types.js'
import {FpmfixError} from '../errors.js'
import type {HostPlan, PlanDocument} from '../model/plan.js'
import type {HostTarget} from '../model/target.js'
import {STEPS} from '../protocol/journal.js'
import type {ApplyOutcome} from '../render/apply-text.js'
import {runHosts, type RunHostsOptions} from '../run/host-runner.js'
import type {StepSpec, StepsOutcome, StepTree} from '../run/step-tree.js'
import type {ConnectionFlagValues} from './connection-flags.js'
import {withHost} from './hosts.js'
import {transactionEnded, transactionStarted} from './interrupt.js'

export interface ApplyPlanOptions extends RunHostsOptions {
  flags: ConnectionFlagValues
  probeUrls: string[]
  forceUnlock?: string | undefined
}

/** The transaction's steps as the host will report them, then its commit (or rollback). */
function transactionSteps(host: HostPlan, options: ApplyOptions): StepSpec[] {
  return transactionStepList(buildTxSpec(host, options))
}

function stepsOutcome(result: ApplyResult): StepsOutcome {
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

/**
 * Apply the plan's hosts reached as `targets` say (at most `forks` at once); each host ends
 * applied, unchanged or rolled back on its own.
 */
export async function applyPlan(
  plan: PlanDocument,
  targets: HostTarget[],
  options: ApplyPlanOptions,
): Promise<ApplyOutcome[]> {
  const byName = new Map(plan.hosts.map((host) => [host.name, host]))
  return runHosts<ApplyResult>(
    targets,
    async (target, step, tree) => {
      const host = byName.get(target.name)!
      if (host.status === 'unchanged' && options.forceUnlock === undefined) return {status: 'unchanged', steps: []}
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
        try {
          return await applyHostPlan(transport, host, optionsFor(host, options, step, tree))
        } finally {
          transactionEnded(host.name)
        }
      })
    },
    {
      ...options,
      steps: (target) => {
        const host = byName.get(target.name)!
        return host.status === 'changes'
          ? {
              steps: transactionSteps(
                host,
                optionsFor(host, options, () => undefined),
              ),
              outcome: stepsOutcome,
            }
          : undefined
      },
    },
  )
}
