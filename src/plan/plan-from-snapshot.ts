import {diagnose} from '../diagnose/index.js'
import {buildFacts} from '../facts/build-facts.js'
import {unreadableNote} from '../facts/gather-limits.js'
import type {Finding, Remedy} from '../model/finding.js'
import {ABSENT, type HostPlan} from '../model/plan.js'
import type {Policy} from '../model/policy.js'
import type {HostSnapshot} from '../model/snapshot.js'
import type {HostTarget} from '../model/target.js'
import {desiredState, withoutRefused, type DesiredChange} from '../policy/index.js'
import {buildChanges} from './build-changes.js'
import {collectRemedies, remedyKey} from './collect-remedies.js'
import {fingerprints} from './fingerprints.js'
import {plannedSnapshot} from './planned-snapshot.js'
import {serviceActions} from './service-actions.js'
import {stateKeys} from './state-fingerprints.js'
import {verification} from './verification.js'

export interface PlanOptions {
  policy: Policy
}

/**
 * snapshot → facts → findings (and, with a policy that states one, the drift from its desired
 * state) → minimal edits and ordered actions. Pure. `stateKeys` names the live state
 * (services, sockets) whose fingerprints the plan still needs.
 */
export function planFromSnapshot(
  target: HostTarget,
  snapshot: HostSnapshot,
  options: PlanOptions,
): {plan: HostPlan; stateKeys: string[]} {
  const {facts, sources} = buildFacts(snapshot)
  const findings = diagnose(facts, {policy: options.policy})
  const nginxFiles = snapshot.nginx.present ? snapshot.nginx.configFiles : []
  const desired = options.policy.desired ? desiredState(facts, sources, options.policy) : undefined
  let fixing: Finding[] = findings
  let wanted: DesiredChange[] = desired?.changes ?? []
  const remediesOf = () =>
    collectRemedies(
      fixing,
      wanted.flatMap((change) => change.remedies),
    )
  let remedies = remediesOf()
  let built = buildChanges(remedies, sources, nginxFiles)
  if (built.refused.length > 0) {
    // A finding (or desired change) whose edit cannot be made is not fixed by this plan: none of
    // its remedies run (no reload for an edit that is not there).
    const keys = new Set(built.refused.map(remedyKey))
    const refused = (remedy: Remedy) => remedy.kind !== 'service' && keys.has(remedyKey(remedy))
    fixing = findings.map((finding) => (finding.remedies.some(refused) ? {...finding, remedies: []} : finding))
    wanted = withoutRefused(wanted, refused)
    remedies = remediesOf()
    const again = buildChanges(remedies, sources, nginxFiles)
    built = {...again, notes: [...new Set([...built.notes, ...again.notes])]}
  }
  const {changes, notes} = built
  const created = new Map<string, string[]>()
  for (const pool of remedies.fpmPools) {
    if (changes.some((change) => change.path === pool.file && change.beforeSha256 === ABSENT))
      created.set(pool.install, [...(created.get(pool.install) ?? []), pool.file])
  }
  const fpmFilesByInstall = new Map(
    snapshot.fpmInstalls.map((install) => [
      install.binary,
      new Set([
        ...install.files.flatMap((file) => [file.path, ...(file.realPath ? [file.realPath] : [])]),
        ...(created.get(install.binary) ?? []),
      ]),
    ]),
  )
  const nginxPaths = new Set(nginxFiles.flatMap((file) => [file.path, ...(file.realPath ? [file.realPath] : [])]))
  const planned = serviceActions(facts, remedies, changes, fpmFilesByInstall, nginxPaths)
  const unreadable = unreadableNote(snapshot, facts.unreadable)
  if (unreadable !== undefined) notes.unshift(unreadable)
  const unremedied = fixing.filter((finding) => finding.severity !== 'info' && finding.remedies.length === 0)
  for (const [index, finding] of fixing.entries()) {
    if (!unremedied.includes(finding)) continue
    const why = findings[index]!.remedies.length > 0 ? 'its edit cannot be made (see above)' : 'see the finding'
    notes.push(`${finding.id} (${finding.scope.label}): no change is proposed for this; ${why}`)
  }
  for (const install of facts.installs) if (install.versionNote) notes.push(install.versionNote)
  notes.push(...(desired?.notes ?? []))
  const drift = wanted.flatMap((change) => change.drift)
  const checked =
    planned.length > 0
      ? verification(buildFacts(plannedSnapshot(snapshot, changes, created)).facts, planned)
      : undefined
  const actions = checked?.actions ?? planned
  const plan: HostPlan = {
    name: target.name,
    address: target.address,
    status: changes.length > 0 || actions.length > 0 || drift.length > 0 ? 'changes' : 'unchanged',
    findings: fixing,
    changes,
    actions,
    fingerprints: fingerprints(snapshot),
    notes,
    ...(desired === undefined ? {} : {drift}),
    ...(checked === undefined ? {} : {verify: checked.verify}),
    ...(facts.unreadable.length > 0 ? {unreadable: facts.unreadable} : {}),
  }
  return {plan, stateKeys: stateKeys(actions, facts)}
}
