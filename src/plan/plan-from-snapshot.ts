import {diagnose} from '../diagnose/index.js'
import {buildFacts} from '../facts/build-facts.js'
import {unreadableNote} from '../facts/gather-limits.js'
import type {Remedy} from '../model/finding.js'
import type {HostPlan} from '../model/plan.js'
import type {Policy} from '../model/policy.js'
import type {HostSnapshot} from '../model/snapshot.js'
import type {HostTarget} from '../model/target.js'
import {buildChanges} from './build-changes.js'
import {collectRemedies} from './collect-remedies.js'
import {fingerprints} from './fingerprints.js'
import {serviceActions} from './service-actions.js'
import {stateKeys} from './state-fingerprints.js'
import {verification} from './verification.js'

export interface PlanOptions {
  policy: Policy
}

/**
 * snapshot → facts → findings → minimal edits and ordered actions. Pure. `stateKeys`
 * names the live state (services, sockets) whose fingerprints the plan still needs.
 */
export function planFromSnapshot(
  target: HostTarget,
  snapshot: HostSnapshot,
  options: PlanOptions,
): {plan: HostPlan; stateKeys: string[]} {
  const {facts, sources} = buildFacts(snapshot)
  const findings = diagnose(facts, {policy: options.policy})
  const nginxFiles = snapshot.nginx.present ? snapshot.nginx.configFiles : []
  let remedies = collectRemedies(findings)
  let built = buildChanges(remedies, sources, nginxFiles)
  if (built.refused.length > 0) {
    // A finding whose edit cannot be made is not fixed by this plan: none of its remedies run (no reload for an edit that is not there).
    const refused = new Set<Remedy>(built.refused)
    remedies = collectRemedies(
      findings.map((finding) =>
        finding.remedies.some((remedy) => refused.has(remedy)) ? {...finding, remedies: []} : finding,
      ),
    )
    const again = buildChanges(remedies, sources, nginxFiles)
    built = {...again, notes: [...new Set([...built.notes, ...again.notes])]}
  }
  const {changes, notes} = built
  const fpmFilesByInstall = new Map(
    snapshot.fpmInstalls.map((install) => [
      install.binary,
      new Set(install.files.flatMap((file) => [file.path, ...(file.realPath ? [file.realPath] : [])])),
    ]),
  )
  const nginxPaths = new Set(nginxFiles.flatMap((file) => [file.path, ...(file.realPath ? [file.realPath] : [])]))
  const actions = serviceActions(facts, remedies, changes, fpmFilesByInstall, nginxPaths)
  const unreadable = unreadableNote(snapshot, facts.unreadable)
  if (unreadable !== undefined) notes.unshift(unreadable)
  const unremedied = findings.filter((finding) => finding.severity !== 'info' && finding.remedies.length === 0)
  for (const finding of unremedied)
    notes.push(`${finding.id} (${finding.scope.label}): no change is proposed for this; see the finding`)
  const plan: HostPlan = {
    name: target.name,
    address: target.address,
    status: changes.length > 0 || actions.length > 0 ? 'changes' : 'unchanged',
    findings,
    changes,
    actions,
    fingerprints: fingerprints(snapshot),
    notes,
    ...(facts.unreadable.length > 0 ? {unreadable: facts.unreadable} : {}),
    ...(actions.length > 0 ? {verify: verification(facts, actions, remedies.fpm)} : {}),
  }
  return {plan, stateKeys: stateKeys(actions, facts)}
}
