import {actionStep, gateStep, STEPS, transactionSteps} from '../protocol/journal.js'
import type {TxAction, TxSpec} from './tx-spec.js'

/** Reported by the client once the transaction runs on the host (connect, ship, unpack, start). */
export const START_STEP = 'start'
/** Not a journal step: the end of the tree, committed or rolled back. */
export const COMMIT_STEP = 'commit'

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`
}

/** What an action's gate checks, in words: `gate: php8.2-fpm answers FastCGI (2 pools)`. */
export function gateLabel(action: TxAction): string {
  const gate = action.gate
  if (gate === undefined) return 'gate'
  const parts = []
  if (gate.fastcgi.length > 0)
    parts.push(
      `${action.kind === 'php-fpm' ? action.service : 'php-fpm'} answers FastCGI (${plural(gate.fastcgi.length, 'pool')})`,
    )
  if (gate.http.length > 0)
    parts.push(`nginx answers ${gate.http.length === 1 ? `GET ${gate.http[0]!.url}` : `${gate.http.length} URLs`}`)
  return `gate: ${parts.join(', ')}`
}

/** Labels for a transaction's step names (action-0 → `reload php8.2-fpm`, gate-0 → `gate: …`). */
export function stepLabels(spec: Pick<TxSpec, 'files' | 'actions' | 'validations'>): Record<string, string> {
  const files = spec.files.length === 1 ? '1 file' : `${spec.files.length} files`
  const labels: Record<string, string> = {
    [START_STEP]: 'connect and start the transaction',
    [STEPS.lock]: 'take the host lock',
    [STEPS.check]: 'check the plan is current',
    [STEPS.backup]: `back up ${files}`,
    [STEPS.write]: `write ${files}`,
    [STEPS.validate]:
      spec.validations.map((validation) => (validation.kind === 'nginx' ? 'nginx -t' : 'php-fpm -t')).join(', ') ||
      'validate',
    [STEPS.probe]: 'probe php-fpm and nginx',
    [STEPS.rollback]: 'roll back',
    [COMMIT_STEP]: 'commit, or roll back on failure',
  }
  spec.actions.forEach((action, index) => {
    labels[actionStep(index)] = action.label
    if (action.gate) labels[gateStep(index)] = gateLabel(action)
  })
  return labels
}

/** Every step a progress display shows for this transaction, in order: start, the journal's steps, commit. */
export function transactionStepList(
  spec: Pick<TxSpec, 'files' | 'actions' | 'validations'>,
): Array<{name: string; title: string}> {
  const labels = stepLabels(spec)
  const gated = spec.actions.map((action) => action.gate !== undefined)
  return [START_STEP, ...transactionSteps(gated), COMMIT_STEP].map((name) => ({
    name,
    title: labels[name] ?? name,
  }))
}
