import {existsSync} from 'node:fs'
import {readFile, rename, writeFile} from 'node:fs/promises'
import {dirname, basename, join, sep} from 'node:path'

import {FpmfixError} from '../errors.js'
import {PLAN_FORMAT_VERSION, summarize, type PlanDocument} from '../model/plan.js'

/** Write the plan next to its final name, then rename: a reader never sees half a plan. */
export async function savePlan(path: string, plan: PlanDocument): Promise<void> {
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`)
  await writeFile(temporary, `${JSON.stringify(plan, null, 2)}\n`, {mode: 0o600})
  await rename(temporary, path)
}

export async function loadPlan(path: string): Promise<PlanDocument> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    throw unreadablePlan(path, error as NodeJS.ErrnoException)
  }
  return parsePlan(text, path)
}

function unreadablePlan(path: string, error: NodeJS.ErrnoException): FpmfixError {
  const what =
    error.code === 'ENOENT' || error.code === 'ENOTDIR'
      ? `plan file ${path} not found`
      : error.code === 'EISDIR'
        ? `${path} is a directory, not a plan file`
        : `plan file ${path} is unreadable: ${error.code ?? error.message}`
  return new FpmfixError('PLAN_FILE_NOT_FOUND', what, {
    hint:
      error.code === 'EACCES'
        ? 'Make the file readable by the user running fpmfix.'
        : 'Check the path; save a plan with `fpmfix plan TARGET… -o PLANFILE`.',
    cause: error,
    details: {path},
  })
}

/**
 * Whether a command-line word names a plan file rather than a target: it exists, contains a
 * path separator, or ends in .json or .plan. Such a word is never taken for a host.
 */
export function looksLikePlanFile(word: string): boolean {
  return existsSync(word) || word.includes('/') || word.includes(sep) || /\.(?:json|plan)$/i.test(word)
}

export function parsePlan(text: string, source: string): PlanDocument {
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch (error) {
    throw new FpmfixError('PLAN_FILE_INVALID', `${source} is not a plan file: ${(error as Error).message}`, {
      cause: error,
    })
  }
  if (typeof data !== 'object' || data === null || (data as {kind?: unknown}).kind !== 'fpmfix-plan') {
    throw new FpmfixError('PLAN_FILE_INVALID', `${source} is not an fpmfix plan (no "kind": "fpmfix-plan")`)
  }
  const plan = data as PlanDocument
  if (plan.formatVersion !== PLAN_FORMAT_VERSION) {
    throw new FpmfixError(
      'PLAN_FILE_VERSION',
      `${source} has plan format ${String(plan.formatVersion)}; this fpmfix reads format ${PLAN_FORMAT_VERSION}`,
      {hint: 'Re-create the plan with this version of fpmfix.'},
    )
  }
  if (!Array.isArray(plan.hosts)) throw new FpmfixError('PLAN_FILE_INVALID', `${source} has no "hosts" list`)
  for (const [index, host] of plan.hosts.entries()) {
    if (
      typeof host?.name !== 'string' ||
      !Array.isArray(host.changes) ||
      !Array.isArray(host.actions) ||
      !Array.isArray(host.fingerprints)
    ) {
      throw new FpmfixError(
        'PLAN_FILE_INVALID',
        `${source}: hosts[${index}] is missing name, changes, actions or fingerprints`,
      )
    }
  }
  // Derived data: recomputed so a plan from an older fpmfix reads with today's summary fields.
  return {...plan, summary: summarize(plan.hosts)}
}

/** Hours since the plan was made, for `show` to warn about an old plan. */
export function planAgeHours(plan: PlanDocument, now = Date.now()): number {
  const created = Date.parse(plan.createdAt)
  return Number.isNaN(created) ? Number.POSITIVE_INFINITY : (now - created) / 3_600_000
}
