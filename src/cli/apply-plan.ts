import {applyHostPlan, buildTxSpec, forceUnlock, stepLabels} from '../apply/index.js'
import type {ApplyOptions, ApplyResult} from '../apply/types.js'
import {FpmfixError} from '../errors.js'
import type {HostPlan, PlanDocument} from '../model/plan.js'
import type {HostTarget} from '../model/target.js'
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
  const spec = buildTxSpec(host, options)
  const labels = stepLabels(spec)
  const names = [
    'lock',
    'check',
    'backup',
    'write',
    'validate',
    ...spec.actions.map((_, index) => `action-${index}`),
    'probe',
  ]
  return [
    ...names.map((name) => ({name, title: labels[name] ?? name})),
    {name: 'commit', title: 'commit, or roll back on failure'},
  ]
}

function stepsOutcome(result: ApplyResult): StepsOutcome {
  switch (result.status) {
    case 'applied':
      return {completed: ['commit']}
    case 'unchanged':
      return {}
    case 'refused-stale':
      return {failedStep: 'check', message: `stale: ${(result.stale ?? []).join(', ')}`}
    case 'locked':
      return {
        failedStep: 'lock',
        message: `held by ${result.lock?.owner ?? '?'} (transaction ${result.lock?.txid ?? '?'})`,
      }
    default:
      return {
        failedStep: result.failedStep ?? 'commit',
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
  const http = options.probeUrls.length > 0 ? options.probeUrls.map((url) => ({url})) : verify?.probes.http
  return {
    ...(verify === undefined ? {} : {fpm: verify.fpm, nginx: verify.nginx}),
    probes: {
      ...(verify?.probes.fastcgi === undefined ? {} : {fastcgi: verify.probes.fastcgi}),
      ...(http === undefined ? {} : {http}),
    },
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
