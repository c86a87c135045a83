import {execFile} from 'node:child_process'
import {mkdtemp, readFile, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {promisify} from 'node:util'
import type {HostPlan, PlanDocument, PlanSummary} from '../../../src/model/plan.js'
import {schemaProblems} from '../../support/json-schemas.js'
import {FPM_SERVICE, type Lab, type LabHost, reloadNginx, restartFpm, startFpm} from '../lab/index.js'
import {reloadFpm, restartNginx} from '../lab/faults-502.js'

const execFileAsync = promisify(execFile)

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..')
const CLI = path.join(REPO_ROOT, 'bin', 'run.js')

export type Severity = 'critical' | 'warning' | 'info'

/** One finding as `fpmfix plan --json` prints it. */
export interface JsonFinding {
  id: string
  severity: Severity
  scope: string
  scopeDetail?: {
    label: string
    pool?: {install: string; name: string}
    nginx?: {file: string; line: number; server?: string; location?: string}
  }
  summary: string
  evidence: Array<{kind: string; text: string; source?: string}>
}

export interface JsonHostPlan {
  name: string
  address: string
  status: 'changes' | 'unchanged' | 'failed'
  findings: JsonFinding[]
  changes: Array<{path: string; viaSymlink?: string; diff: string}>
  actions: Array<{service: string; action: string}>
  notes?: string[]
  error?: {code: string; message: string; hint?: string}
}

export interface JsonPlanDocument {
  formatVersion: number
  hosts: JsonHostPlan[]
  summary: PlanSummary
}

export interface PlanRun {
  exitCode: number
  stdout: string
  stderr: string
  /** What --json printed. */
  document: JsonPlanDocument
  /** The host's entry in the printed document. */
  json: JsonHostPlan
  /** The host's entry in the plan file written with -o (full before/after texts and fingerprints). */
  saved: HostPlan
}

/** `npm run build`, so bin/run.js runs the current sources. */
export async function buildCli(): Promise<void> {
  try {
    await execFileAsync('npm', ['run', 'build'], {cwd: REPO_ROOT, timeout: 180_000})
  } catch (error) {
    const failed = error as {stdout?: string; stderr?: string; message: string}
    throw new Error(`npm run build failed: ${failed.message}\n${failed.stdout ?? ''}\n${failed.stderr ?? ''}`)
  }
}

/** `fpmfix plan -i <inventory> <host> --known-hosts <kh> --json -o <file>` over SSH, as root. */
export async function runPlan(lab: Lab, host: LabHost, options: {detailedExitcode?: boolean} = {}): Promise<PlanRun> {
  const dir = await mkdtemp(path.join(tmpdir(), 'fpmfix-plan-'))
  const planFile = path.join(dir, 'plan.json')
  const args = [
    CLI,
    'plan',
    '-i',
    lab.inventoryPath,
    host.name,
    '--known-hosts',
    lab.knownHostsPath,
    '--json',
    '-o',
    planFile,
  ]
  if (options.detailedExitcode) args.push('--detailed-exitcode')
  try {
    const {exitCode, stdout, stderr} = await runNode(args)
    const context = `fpmfix plan for ${host.name} exited ${exitCode}\n--- stdout ---\n${stdout}\n--- stderr ---\n${stderr}`
    const document = parseJson<JsonPlanDocument>(stdout, context)
    const problems = schemaProblems('plan', document)
    if (problems.length > 0)
      throw new Error(`plan --json does not match src/schemas/plan.schema.json:\n${problems.join('\n')}\n${context}`)
    const json = document.hosts?.find((entry) => entry.name === host.name)
    if (json === undefined) throw new Error(`no host ${host.name} in the printed plan\n${context}`)
    const savedDocument = parseJson<PlanDocument>(
      await readFile(planFile, 'utf8').catch(() => ''),
      `plan file ${planFile}\n${context}`,
    )
    const saved = savedDocument.hosts.find((entry) => entry.name === host.name)
    if (saved === undefined) throw new Error(`no host ${host.name} in the saved plan file\n${context}`)
    return {exitCode, stdout, stderr, document, json, saved}
  } finally {
    await rm(dir, {recursive: true, force: true})
  }
}

/**
 * Carry out a saved host plan with plain file writes and service commands, waiting after each action
 * until its effect is observable (new php-fpm master/sockets, new children, new nginx workers).
 * Refuses a change whose `before` is not the file's current content.
 */
export async function applyByHand(host: LabHost, plan: HostPlan): Promise<void> {
  for (const change of plan.changes) {
    const current = await host.readFile(change.path).catch(() => '')
    if (current !== change.before) throw new Error(`${change.path} on ${host.name} changed since the plan was made`)
    await host.writeFile(change.path, change.after)
  }
  for (const action of plan.actions) await runServiceAction(host, action.service, action.action)
}

async function runServiceAction(host: LabHost, service: string, action: string): Promise<void> {
  const key = `${service} ${action}`
  switch (key) {
    case `${FPM_SERVICE} start`:
      return startFpm(host)
    case `${FPM_SERVICE} restart`:
      return restartFpm(host)
    case `${FPM_SERVICE} reload`:
      return reloadFpm(host)
    case 'nginx reload':
      return reloadNginx(host)
    case 'nginx restart':
      return restartNginx(host)
    default:
      throw new Error(`the plan asks for "service ${key}", which the lab does not know how to wait for`)
  }
}

/** Findings that say something is broken now or soon. */
export function problems(json: JsonHostPlan): JsonFinding[] {
  return json.findings.filter((finding) => finding.severity === 'critical' || finding.severity === 'warning')
}

/** The value of the last active `key = value` in one [section] of a php-fpm pool file. */
export function poolValue(text: string, section: string, key: string): string | undefined {
  return lastAssignment(text, key, (current) => current === section)
}

/** The value of the last active `key = value` anywhere in an ini file such as php.ini. */
export function iniValue(text: string, key: string): string | undefined {
  return lastAssignment(text, key, () => true)
}

function lastAssignment(
  text: string,
  key: string,
  inSection: (section: string | undefined) => boolean,
): string | undefined {
  let current: string | undefined
  let value: string | undefined
  for (const line of text.split('\n')) {
    const header = /^\s*\[([^\]]+)\]\s*$/.exec(line)
    if (header) {
      current = header[1]!.trim()
      continue
    }
    const assignment = /^\s*([^;#=\s][^=]*?)\s*=\s*(.*?)\s*$/.exec(line)
    if (inSection(current) && assignment?.[1] === key) value = assignment[2]!.replace(/^"(.*)"$/, '$1')
  }
  return value
}

/** php-fpm's time values: plain seconds or with an s/m/h/d suffix. */
export function fpmSeconds(value: string): number {
  const match = /^(\d+)([smhd]?)$/.exec(value.trim())
  if (!match) throw new Error(`not a php-fpm time value: ${value}`)
  const unit = {'': 1, s: 1, m: 60, h: 3600, d: 86_400}[match[2] as '' | 's' | 'm' | 'h' | 'd']
  return Number(match[1]) * unit
}

async function runNode(args: string[]): Promise<{exitCode: number; stdout: string; stderr: string}> {
  try {
    const {stdout, stderr} = await execFileAsync(process.execPath, args, {
      cwd: REPO_ROOT,
      timeout: 120_000,
      maxBuffer: 64 * 1024 * 1024,
    })
    return {exitCode: 0, stdout, stderr}
  } catch (error) {
    const failed = error as {code?: unknown; stdout?: string; stderr?: string; message: string}
    if (typeof failed.code !== 'number') throw new Error(`could not run fpmfix: ${failed.message}`)
    return {exitCode: failed.code, stdout: failed.stdout ?? '', stderr: failed.stderr ?? ''}
  }
}

function parseJson<T>(text: string, context: string): T {
  try {
    return JSON.parse(text) as T
  } catch {
    throw new Error(`not a JSON document: ${context}`)
  }
}

/** The planned change of one file, or an error naming what the plan changes instead. */
export function changeOf(plan: HostPlan, file: string): HostPlan['changes'][number] {
  const change = plan.changes.find((candidate) => candidate.path === file)
  if (change === undefined)
    throw new Error(
      `the plan has no change to ${file}; it changes: ${plan.changes.map((c) => c.path).join(', ') || 'nothing'}`,
    )
  return change
}

/** Re-throw a failed check with the plan it was checking, diffs included. */
export async function withReport(report: string, check: () => Promise<void> | void): Promise<void> {
  try {
    await check()
  } catch (error) {
    if (error instanceof Error) error.message += `\n${report}`
    throw error
  }
}
