import {type ChildProcess, spawn} from 'node:child_process'
import {mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {createServer, type ServerResponse} from 'node:http'
import {tmpdir} from 'node:os'
import path from 'node:path'
import type {ApplyOptions, ApplyResult} from '../../../src/apply/types.js'
import type {HostPlan, PlanDocument, PlanSummary} from '../../../src/model/plan.js'
import {isFinalState} from '../../../src/protocol/journal.js'
import {shellQuote} from '../../../src/util/shell-quote.js'
import {type DocumentKind, schemaProblems} from '../../support/json-schemas.js'
import {sha256} from '../../support/plan-document.js'
import {JOURNAL, LOCK_DIR} from '../apply-lab-helpers.js'
import type {Lab, LabHost} from '../lab/index.js'
import {waitFor} from '../lab/wait.js'
import type {JsonHostPlan, JsonPlanDocument} from './plan-helpers.js'
import {CLI_ENTRY, cliEnvironment, type CliRun, describeRun, REPO_ROOT, runCli} from './run-cli.js'

/** One host as `fpmfix apply --json` (and `rollback --json`) prints it: the engine's result plus name, address and an error. */
export interface JsonApplyHost extends ApplyResult {
  name: string
  address: string
  error?: {code: string; message: string; hint?: string}
}

export interface JsonApplyDocument {
  formatVersion: number
  hosts: JsonApplyHost[]
  summary: PlanSummary
  /** Present instead of hosts when the command failed as a whole (usage, no terminal, bad plan file). */
  error?: {code: string; message: string; hint?: string}
}

export interface ApplyRun {
  run: CliRun<JsonApplyDocument>
  /** The entry of the one host the run was about. */
  host: JsonApplyHost
  /** describeRun plus the host's journal log tail, for assertion messages. */
  report: string
}

export interface SavedPlan {
  file: string
  run: CliRun<JsonPlanDocument>
  /** The host's entry as printed with --json. */
  json: JsonHostPlan
  /** The host's entry in the plan file (full before/after texts, fingerprints, verify). */
  saved: HostPlan
}

export {sha256}

/** What plan (and apply TARGET, facts, rollback) need to reach lab hosts; apply PLANFILE needs none of it. */
export function connectionArgs(lab: Lab): string[] {
  return ['-i', lab.inventoryPath, '--known-hosts', lab.knownHostsPath]
}

/** Throw when a printed --json document does not match its published JSON Schema. */
export function expectSchema(kind: DocumentKind, run: CliRun): void {
  if (run.json === undefined) return
  const problems = schemaProblems(kind, run.json)
  if (problems.length > 0)
    throw new Error(
      `${kind} --json does not match src/schemas/${kind}.schema.json:\n${problems.join('\n')}\n${describeRun(run)}`,
    )
}

/** A directory for plan files, removed by the returned cleanup. */
export async function planDirectory(): Promise<{dir: string; cleanup: () => Promise<void>}> {
  const dir = await mkdtemp(path.join(tmpdir(), 'fpmfix-apply-'))
  return {dir, cleanup: () => rm(dir, {recursive: true, force: true})}
}

/** `fpmfix plan HOST --json -o FILE`; the plan file is kept for apply. */
export async function savePlan(
  lab: Lab,
  host: LabHost,
  file: string,
  options: {detailedExitcode?: boolean} = {},
): Promise<SavedPlan> {
  const args = ['plan', ...connectionArgs(lab), host.name, '--json', '-o', file]
  if (options.detailedExitcode) args.push('--detailed-exitcode')
  const run = await runCli<JsonPlanDocument>(args, {timeoutMs: 120_000})
  expectSchema('plan', run)
  const json = run.json?.hosts?.find((entry) => entry.name === host.name)
  if (json === undefined) throw new Error(`fpmfix plan printed no entry for ${host.name}\n${describeRun(run)}`)
  const saved = (await readPlanFile(file)).hosts.find((entry) => entry.name === host.name)
  if (saved === undefined) throw new Error(`plan file ${file} has no host ${host.name}\n${describeRun(run)}`)
  return {file, run, json, saved}
}

export async function readPlanFile(file: string): Promise<PlanDocument> {
  return JSON.parse(await readFile(file, 'utf8')) as PlanDocument
}

/**
 * Replace the `after` of one planned change in a saved plan file, with a matching afterSha256
 * (what a hand-edited plan would need to get past the engine's check of the shipped bytes).
 */
export async function editPlannedChange(
  file: string,
  hostName: string,
  changePath: string,
  edit: (after: string) => string,
): Promise<string> {
  const document = await readPlanFile(file)
  const change = document.hosts
    .find((entry) => entry.name === hostName)
    ?.changes.find((candidate) => candidate.path === changePath)
  if (change === undefined) throw new Error(`plan file ${file} has no change to ${changePath} on ${hostName}`)
  const after = edit(change.after)
  if (after === change.after) throw new Error(`the edit left ${changePath} as it was`)
  change.after = after
  change.afterSha256 = sha256(after)
  await writeFile(file, `${JSON.stringify(document, null, 2)}\n`)
  return after
}

/**
 * `fpmfix apply PLANFILE --json` and nothing else: no inventory, key or known_hosts flag, since the plan
 * says how each host is reached (`_lab` stays in the signature the lab suites call it with).
 */
export async function applyPlanFile(_lab: Lab, host: LabHost, file: string, extra: string[] = []): Promise<ApplyRun> {
  return applyRun(host, await runCli<JsonApplyDocument>(['apply', file, '--json', ...extra], {timeoutMs: 180_000}))
}

/** Pick the host's entry out of an apply/rollback run, with a report that includes the host-side log. */
export async function applyRun(host: LabHost, run: CliRun<JsonApplyDocument>): Promise<ApplyRun> {
  expectSchema('apply', run)
  const entry = run.json?.hosts?.find((candidate) => candidate.name === host.name)
  const txid = entry?.txid
  const log = txid === undefined ? '' : await journalTail(host, txid)
  const report = `${describeRun(run)}${log ? `\n--- ${JOURNAL}/${txid}/log ---\n${log}` : ''}`
  if (entry === undefined) throw new Error(`no entry for ${host.name} in the printed document\n${report}`)
  return {run, host: entry, report}
}

export async function journalTail(host: LabHost, txid: string): Promise<string> {
  const file = shellQuote(`${JOURNAL}/${txid}/log`)
  return (await host.exec(`tail -n 40 -- ${file} 2>/dev/null`, {allowFail: true})).stdout
}

/** A CLI process left running so the test can signal it. */
export interface RunningCli {
  child: ChildProcess
  done: Promise<{code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string}>
}

/** Spawn `node bin/run.js ARGS` with the same hermetic environment as runCli, without waiting for it. */
export async function startCli(args: readonly string[]): Promise<RunningCli> {
  const home = await mkdtemp(path.join(tmpdir(), 'fpmfix-cli-home-'))
  const child = spawn(process.execPath, [CLI_ENTRY, ...args], {
    cwd: REPO_ROOT,
    env: cliEnvironment(home),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const stdout: Buffer[] = []
  const stderr: Buffer[] = []
  child.stdout?.on('data', (chunk: Buffer) => stdout.push(chunk))
  child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk))
  const done = new Promise<{code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string}>(
    (resolve, reject) => {
      child.once('error', reject)
      child.once('close', (code, signal) =>
        resolve({
          code,
          signal,
          stdout: Buffer.concat(stdout).toString('utf8'),
          stderr: Buffer.concat(stderr).toString('utf8'),
        }),
      )
    },
  ).finally(() => rm(home, {recursive: true, force: true}))
  return {child, done}
}

/** Block (inside the host, polling every 10 ms) until the apply lock directory exists. */
export async function waitForLockDir(host: LabHost, timeoutSeconds = 30): Promise<void> {
  const script = `timeout ${timeoutSeconds} sh -c 'until [ -d ${LOCK_DIR} ]; do sleep 0.01; done'`
  const {code} = await host.exec(script, {allowFail: true})
  if (code !== 0) throw new Error(`${LOCK_DIR} never appeared on ${host.name} within ${timeoutSeconds} s`)
}

/** Wait until the newest transaction on the host has finished (final state line, lock released); its txid and outcome. */
export async function waitForTransactionEnd(
  host: LabHost,
  timeoutMs = 60_000,
): Promise<{txid: string; outcome: string}> {
  return waitFor(
    async () => {
      const script = [
        `tx=$(tail -n 1 ${JOURNAL}/.sequence 2>/dev/null) && [ -n "$tx" ] && echo "$tx" && tail -n 1 "${JOURNAL}/$tx/state" 2>/dev/null`,
        'echo',
        `[ -d ${LOCK_DIR} ] && echo locked || echo free`,
      ].join('; ')
      const lines = (await host.exec(script, {allowFail: true})).stdout.split('\n').map((line) => line.trim())
      const [txid = '', outcome = ''] = lines
      return txid !== '' && isFinalState(outcome) && lines.includes('free') && {txid, outcome}
    },
    {timeoutMs, intervalMs: 100, what: `the transaction on ${host.name} to finish`},
  )
}

/** Transaction directories under the host's journal. */
export async function journalEntries(host: LabHost): Promise<string[]> {
  const {stdout} = await host.exec(`ls -1 ${JOURNAL} 2>/dev/null`, {allowFail: true})
  return stdout.split('\n').filter((line) => /^\d{8}T\d{6}Z-[0-9a-f]+$/.test(line))
}

/** One regular file or symlink under the config trees. */
export interface ConfigEntry {
  type: 'file' | 'link'
  mode: string
  owner: string
  /** sha256 of a regular file's bytes. */
  sha?: string
  /** Where a symlink points. */
  target?: string
}

export const CONFIG_TREES = ['/etc/nginx', '/etc/php']

/** Every regular file (sha256, mode, uid:gid) and symlink (target) under /etc/nginx and /etc/php, read inside the host. */
export async function configSnapshot(host: LabHost): Promise<Map<string, ConfigEntry>> {
  const trees = CONFIG_TREES.map(shellQuote).join(' ')
  const {stdout} = await host.exec(
    `find ${trees} \\( -type f -o -type l \\) -printf '%y %m %U:%G %p\\t%l\\n'; echo '--'; find ${trees} -type f -exec sha256sum -- {} +`,
  )
  const [listing = '', sums = ''] = stdout.split('\n--\n')
  const shas = new Map<string, string>()
  for (const line of sums.split('\n')) {
    const match = /^([0-9a-f]{64}) {2}(.*)$/.exec(line)
    if (match) shas.set(match[2]!, match[1]!)
  }
  const entries = new Map<string, ConfigEntry>()
  for (const line of listing.split('\n')) {
    const match = /^([fl]) (\d+) (\d+:\d+) ([^\t]*)\t(.*)$/.exec(line)
    if (!match) continue
    const [, kind, mode, owner, file, target] = match as unknown as [string, string, string, string, string, string]
    entries.set(
      file,
      kind === 'l' ? {type: 'link', mode, owner, target} : {type: 'file', mode, owner, sha: shas.get(file)},
    )
  }
  if (entries.size === 0) throw new Error(`no files under ${CONFIG_TREES.join(', ')} on ${host.name}`)
  return entries
}

/**
 * Differences between two snapshots that a correct apply of `plan` cannot explain: any file not in
 * the plan changed (bytes, mode, owner, link target), appeared or vanished; a planned file whose bytes
 * are not its `after` or whose mode/owner changed. Empty when the apply touched exactly what it planned.
 */
export function unexplainedChanges(
  before: Map<string, ConfigEntry>,
  after: Map<string, ConfigEntry>,
  plan: Pick<HostPlan, 'changes'>,
): string[] {
  const planned = new Map(plan.changes.map((change) => [change.path, change]))
  const problems: string[] = []
  for (const [file, was] of before) {
    const now = after.get(file)
    const change = planned.get(file)
    if (now === undefined) problems.push(`${file} vanished`)
    else if (change === undefined) {
      if (JSON.stringify(now) !== JSON.stringify(was))
        problems.push(`${file} is not in the plan but changed: ${JSON.stringify(was)} → ${JSON.stringify(now)}`)
    } else {
      if (now.sha !== change.afterSha256)
        problems.push(`${file} holds ${now.sha}, not the planned after ${change.afterSha256}`)
      if (now.type !== was.type || now.mode !== was.mode || now.owner !== was.owner) {
        problems.push(
          `${file} changed kind, mode or owner: ${was.type} ${was.mode} ${was.owner} → ${now.type} ${now.mode} ${now.owner}`,
        )
      }
    }
  }
  for (const file of after.keys()) {
    if (!before.has(file) && !planned.has(file)) problems.push(`${file} appeared`)
  }
  return problems
}

/** Paths whose entry differs between two snapshots (added, removed or changed). */
export function changedPaths(before: Map<string, ConfigEntry>, after: Map<string, ConfigEntry>): string[] {
  const paths = new Set([...before.keys(), ...after.keys()])
  return [...paths].filter((file) => JSON.stringify(before.get(file)) !== JSON.stringify(after.get(file))).sort()
}

/**
 * An HTTP endpoint for a transaction's probe that answers only when the test says so: the
 * transaction waits in its probe step (holding the host lock) for exactly as long as the test
 * needs, whatever the machine's speed. The lab hosts share this machine's network.
 */
export interface ProbeGate {
  url: string
  /** Resolves when the first probe request arrives: the transaction is in its probe step. */
  arrived: Promise<void>
  /** Answer every waiting and later request with this status. */
  release(status?: number): void
  close(): Promise<void>
}

export async function probeGate(): Promise<ProbeGate> {
  const waiting: ServerResponse[] = []
  let answer: number | undefined
  let arrive: () => void = () => undefined
  const arrived = new Promise<void>((resolve) => (arrive = resolve))
  const server = createServer((_request, response) => {
    arrive()
    if (answer === undefined) waiting.push(response)
    else response.writeHead(answer).end('gate\n')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  const port = typeof address === 'object' && address !== null ? address.port : 0
  return {
    url: `http://127.0.0.1:${port}/gate`,
    arrived,
    release(status = 200) {
      answer = status
      for (const response of waiting.splice(0)) response.writeHead(status).end('gate\n')
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const response of waiting.splice(0)) response.destroy()
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}

/** What `fpmfix apply` passes the engine for a saved host plan, with one HTTP probe: the gate, waited on for long. */
export function gatedApplyOptions(saved: HostPlan, gate: ProbeGate): ApplyOptions {
  const verify = saved.verify
  return {
    ...(verify === undefined ? {} : {fpm: verify.fpm, nginx: verify.nginx}),
    probes: {
      ...(verify?.probes.fastcgi === undefined ? {} : {fastcgi: verify.probes.fastcgi}),
      http: [{url: gate.url}],
    },
    probeTimeoutMs: 600_000,
  }
}
