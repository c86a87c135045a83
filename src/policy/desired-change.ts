import type {Remedy} from '../model/finding.js'
import type {DriftItem} from '../model/plan.js'

/**
 * One unit of desired state: the drift it resolves and the remedies that resolve it, applied
 * together or not at all (a pool's settings with its reload; a site's new address with nginx's).
 */
export interface DesiredChange {
  drift: DriftItem[]
  remedies: Remedy[]
  /** Changes this one is only safe with (nginx moving to a pool the plan creates; stopping an old version). */
  requires?: DesiredChange[]
}

function unresolved(change: DesiredChange, why: string): DesiredChange {
  return {
    drift: change.drift.map((item) => (item.unresolved === undefined ? {...item, unresolved: why} : item)),
    remedies: [],
  }
}

/** A change that was wanted but is not made (a change with nothing to do is not dropped). */
export function isDropped(change: DesiredChange): boolean {
  return change.remedies.length === 0 && change.drift.some((item) => item.unresolved !== undefined)
}

/**
 * The changes still made once some remedies were refused (an edit the planner would not make):
 * a change with a refused remedy is dropped whole and its drift marked unresolved, and so is every
 * change that requires a dropped one.
 */
export function withoutRefused(changes: DesiredChange[], refused: (remedy: Remedy) => boolean): DesiredChange[] {
  const dropped = new Set(changes.filter((change) => change.remedies.some(refused)))
  let grew = true
  while (grew) {
    grew = false
    for (const change of changes) {
      if (dropped.has(change) || !(change.requires ?? []).some((other) => dropped.has(other) || isDropped(other)))
        continue
      dropped.add(change)
      grew = true
    }
  }
  return changes.map((change) =>
    !dropped.has(change)
      ? change
      : change.remedies.some(refused)
        ? unresolved(change, 'an edit it needs cannot be made (see the notes)')
        : unresolved(change, 'a change it depends on is not made'),
  )
}

/** A change that only reports: drift this plan does not resolve, and why. */
export function reportOnly(drift: DriftItem[], why: string): DesiredChange {
  return {drift: drift.map((item) => ({...item, unresolved: why})), remedies: []}
}
