import {countsAsFailure, mustStop, stopReason, type RolloutTally} from './decision.js'

/** How a rollout was asked for: `--serial` as given, and the failed share it tolerates. */
export interface RolloutPolicy {
  serial?: string
  /** Stop once the failed share of the hosts attempted so far exceeds this; undefined: never stop. */
  maxFailPercentage?: number
}

/** Where and why a rollout stopped starting hosts. */
export interface RolloutStop {
  /** The batch (1-based) during which the decision was taken. */
  batch: number
  attempted: number
  failed: number
  reason: string
}

/** What a report says about the rollout: its policy, its batches (host names in order), where it stopped. */
export interface RolloutReport extends RolloutPolicy {
  batches: string[][]
  stopped?: RolloutStop
}

/**
 * The health gate of a rollout, as plain state: every host asks before it starts, and says how
 * it ended. Once the failed share of the hosts attempted so far exceeds the policy's limit, no
 * host starts any more; the ones already running finish on their own.
 */
export class RolloutGate {
  private readonly tally: RolloutTally = {attempted: 0, failed: 0}
  private stop: RolloutStop | undefined

  constructor(private readonly maxFailPercentage: number | undefined) {}

  /** Why no host may start any more; undefined while hosts may start. */
  closed(): string | undefined {
    return this.stop === undefined ? undefined : `rollout stopped in batch ${this.stop.batch}: ${this.stop.reason}`
  }

  /** A host starts: it counts as attempted from now on. */
  started(): void {
    this.tally.attempted += 1
  }

  /** A host of `batch` ended with `status`; the stop decision is taken again. */
  ended(batch: number, status: string): void {
    if (countsAsFailure(status)) this.tally.failed += 1
    if (this.stop === undefined && mustStop(this.tally, this.maxFailPercentage)) {
      this.stop = {batch, ...this.tally, reason: stopReason(this.tally, this.maxFailPercentage!)}
    }
  }

  get stopped(): RolloutStop | undefined {
    return this.stop
  }
}
