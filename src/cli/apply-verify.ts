import {rollbackLast} from '../apply/index.js'
import type {ApplyResult} from '../apply/types.js'
import {toFpmfixError} from '../errors.js'
import type {HostPlan} from '../model/plan.js'
import type {HostTarget} from '../model/target.js'
import {
  afterFailedRetest,
  probeRoute,
  retestedTransaction,
  UNDO_STEP,
  type Retest,
  type RetestedResult,
} from '../rollout/retest.js'
import type {Transport} from '../transport/transport.js'
import {phpCliCandidates, type RouteRequest} from '../verify/routes.js'
import type {LoadOrigin, LoadSpec} from '../verify/types.js'
import {loadRoutes, routesOnHost} from '../verify/verify-host.js'
import {retestEnded, retestStarted, transactionEnded, transactionStarted} from './interrupt.js'

/** What `apply --verify` loads each host with once it committed: verify's --url routes, load and origin. */
export interface RetestOptions {
  requests: RouteRequest[]
  load: LoadSpec
  from: LoadOrigin
}

/**
 * The retest of one host, as `fpmfix verify` would run it. Routes: the --url ones (resolved on
 * the host's server blocks, from a read-only gather), else the plan's own HTTP probes, else every
 * PHP server block. A retest that cannot run is reported, not thrown: it does not pass either.
 */
async function retest(
  transport: Transport,
  target: HostTarget,
  host: HostPlan,
  options: RetestOptions,
  step?: (text: string) => void,
): Promise<Retest> {
  try {
    const probes = host.verify?.probes.http ?? []
    const {routes, phpCandidates} =
      options.requests.length === 0 && probes.length > 0
        ? {routes: probes.map(probeRoute), phpCandidates: phpCliCandidates(Object.keys(host.verify?.fpm ?? {}))}
        : await routesOnHost(transport, target, options.requests)
    return await loadRoutes(transport, target, routes, phpCandidates, {
      load: options.load,
      from: options.from,
      ...(step === undefined ? {} : {step}),
    })
  } catch (error) {
    const failure = toFpmfixError(error)
    return {
      status: 'error',
      error: {
        code: failure.code,
        message: failure.message,
        ...(failure.hint === undefined ? {} : {hint: failure.hint}),
      },
    }
  }
}

/**
 * After a host's apply: when the plan's change is in effect, retest it under load; a retest that
 * does not pass undoes that change (the transaction that made it, and only that one) as
 * `fpmfix rollback` would. Other results come back as they were.
 */
export async function retestCommitted(
  transport: Transport,
  target: HostTarget,
  host: HostPlan,
  result: ApplyResult,
  options: RetestOptions,
  step?: (text: string) => void,
): Promise<RetestedResult> {
  const txid = retestedTransaction(result)
  if (txid === undefined) return result
  retestStarted(target.name)
  const verify = await retest(transport, target, host, options, step).finally(() => retestEnded(target.name))
  if (verify.status === 'passed') return {...result, verify}
  step?.('rolling back')
  let undo: ApplyResult | undefined
  try {
    undo = await rollbackLast(transport, {
      host: target.name,
      expectTxid: txid,
      onStep: (event) => transactionStarted(target.name, event.txid),
    })
  } catch (error) {
    const failure = toFpmfixError(error)
    undo = {status: 'failed', failedStep: UNDO_STEP, output: failure.message, steps: []}
  } finally {
    // The host stays changed unless the undo went through.
    transactionEnded(target.name, undo?.status !== 'undone')
  }
  return afterFailedRetest(result, verify, undo)
}
