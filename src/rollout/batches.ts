import {FpmfixError} from '../errors.js'

/** One `--serial` value: a number of hosts, or a share of all the rollout's hosts. */
export type SerialStep = {kind: 'count'; hosts: number} | {kind: 'percent'; percent: number}

function serialUsage(text: string, why: string): FpmfixError {
  return new FpmfixError('USAGE', `--serial ${text}: ${why}`, {
    hint: 'Give a number of hosts (--serial 2), a share of them (--serial 25%) or a list (--serial 1,25%,100%).',
  })
}

/**
 * `--serial` as Ansible's `serial` reads it: `N`, `N%`, or a comma-separated list of those whose
 * last value repeats until every host has had its batch. Zero and fractions are refused rather
 * than given Ansible's surprising meanings (`0` = every host at once, `0%` = one host).
 */
export function parseSerial(text: string): SerialStep[] {
  const values = text.split(',').map((value) => value.trim())
  return values.map((value) => {
    const match = /^(\d{1,6})(%?)$/.exec(value)
    if (!match) throw serialUsage(text, `${JSON.stringify(value)} is not a whole number of hosts or a percentage`)
    const number = Number(match[1])
    if (number === 0) throw serialUsage(text, 'a batch needs at least one host')
    if (match[2] === '') return {kind: 'count', hosts: number}
    if (number > 100) throw serialUsage(text, `${value} is more than every host`)
    return {kind: 'percent', percent: number}
  })
}

/**
 * How many hosts one step takes, as Ansible's `pct_to_int` does: a percentage of every host of
 * the rollout (not of those left), rounded down, and at least one.
 */
export function stepSize(step: SerialStep, total: number): number {
  if (step.kind === 'count') return step.hosts
  return Math.max(1, Math.floor((step.percent * total) / 100))
}

/**
 * The batch sizes for `total` hosts (Ansible's `_get_serialized_batches`): each step in turn, the
 * last one repeating, the final batch taking what is left. No steps: one batch of every host.
 */
export function batchSizes(steps: readonly SerialStep[], total: number): number[] {
  if (total === 0) return []
  if (steps.length === 0) return [total]
  const sizes: number[] = []
  let left = total
  for (let index = 0; left > 0; index = Math.min(index + 1, steps.length - 1)) {
    const size = Math.min(left, stepSize(steps[index]!, total))
    sizes.push(size)
    left -= size
  }
  return sizes
}

/** `items` cut into consecutive batches of the sizes `batchSizes` gives, in their order. */
export function splitBatches<T>(items: readonly T[], steps: readonly SerialStep[]): T[][] {
  let start = 0
  return batchSizes(steps, items.length).map((size) => items.slice(start, (start += size)))
}
