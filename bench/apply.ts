/**
 * What `fpmfix apply` costs a live site, measured on lab hosts over real SSH.
 *
 *   npx tsx bench/apply.ts [--rounds 3] [--skip-build] [--load-seconds 5] [--concurrency 4] [--keep-alive]
 *
 * (a) Time to healthy: from spawning `fpmfix apply PLANFILE` to the first 200 from /index.php
 *     (polled every 10 ms), and to the CLI's exit, for a reload-only change (nginx left on the
 *     PHP 8.1 socket → nginx reload) and a restart change (socket owned by root → php-fpm
 *     restart); with the host-side step timings from --json. One unmeasured warm-up round.
 * (b) Requests lost to an apply under steady load: a bounded GET loop on /index.php (only
 *     127.0.0.1, `--concurrency` workers, a new connection per request unless --keep-alive),
 *     with an apply started a second into it. Reload-only: a plan that raises
 *     fastcgi_buffer_size (big headers; /index.php stays 200). Restart: a plan that fixes a
 *     second pool's socket owner while [www] serves /index.php. Each is compared with the same
 *     load and no change (baseline) and with the same service action run by hand. Between
 *     rounds `fpmfix rollback` puts the pending change back.
 */
import {Agent, request} from 'node:http'
import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'
import {parseArgs} from 'node:util'
import type {StepTiming} from '../src/apply/types.js'
import {
  bigHeaders,
  expectStatus,
  type Fault502,
  secondPoolBroken,
  SHOP_PATH,
  socketOwnedByRoot,
  versionSocketMismatch,
} from '../test/lab/lab/faults-502.js'
import {httpGet} from '../test/lab/lab/http-probe.js'
import {FPM_SERVICE, type Lab, type LabHost} from '../test/lab/lab/index.js'
import {connectionArgs, type JsonApplyDocument, savePlan} from '../test/lab/support/apply-cli-helpers.js'
import {describeRun, runCli} from '../test/lab/support/run-cli.js'
import {buildUnlessSkipped, integerOption, withLab} from './harness.js'
import {describeSeries, median, type Series} from './measure.js'

interface Options {
  rounds: number
  build: boolean
  loadSeconds: number
  concurrency: number
  keepAlive: boolean
}

function readOptions(): Options {
  const {values} = parseArgs({
    options: {
      rounds: {type: 'string', default: '3'},
      'skip-build': {type: 'boolean', default: false},
      'load-seconds': {type: 'string', default: '5'},
      concurrency: {type: 'string', default: '4'},
      'keep-alive': {type: 'boolean', default: false},
    },
  })
  return {
    rounds: integerOption('rounds', values.rounds, 1, 20),
    build: !values['skip-build'],
    loadSeconds: integerOption('load-seconds', values['load-seconds'], 1, 30),
    concurrency: integerOption('concurrency', values.concurrency, 1, 32),
    keepAlive: values['keep-alive'],
  }
}

// ---------------------------------------------------------------- (a) time to healthy

interface Convergence {
  toHealthyMs: number
  cliMs: number
  steps: StepTiming[]
}

async function applyPlan(
  lab: Lab,
  host: LabHost,
  planFile: string,
): Promise<{document: JsonApplyDocument; ms: number}> {
  const run = await runCli<JsonApplyDocument>(['apply', planFile, ...connectionArgs(lab), '--json'], {
    timeoutMs: 120_000,
  })
  const entry = run.json?.hosts.find((candidate) => candidate.name === host.name)
  if (run.code !== 0 || entry?.status !== 'applied')
    throw new Error(`fpmfix apply on ${host.name} did not apply\n${describeRun(run)}`)
  return {document: run.json!, ms: run.durationMs}
}

/** Plan the host (with a 502 or a pending change in place) and check the plan asks for exactly `action`. */
async function planExpecting(lab: Lab, host: LabHost, dir: string, action: string): Promise<string> {
  const plan = await savePlan(lab, host, path.join(dir, `${host.name}.json`))
  const actions = plan.saved.actions.map((entry) => `${entry.service} ${entry.action}`)
  if (plan.saved.status !== 'changes' || actions.join() !== action)
    throw new Error(
      `${host.name}: expected a plan with ${action}, got ${actions.join(', ') || 'none'} (${plan.saved.status})`,
    )
  return plan.file
}

async function timeToHealthy(lab: Lab, host: LabHost, planFile: string): Promise<Convergence> {
  const started = performance.now()
  let cliDone = false
  const applying = applyPlan(lab, host, planFile).finally(() => (cliDone = true))
  let toHealthyMs: number | undefined
  while (toHealthyMs === undefined && performance.now() - started < 60_000) {
    const probe = await httpGet(host.httpPort, '/index.php', 5_000)
    if (probe.status === 200) toHealthyMs = performance.now() - started
    else if (!cliDone) await sleep(10)
    else if (performance.now() - started > 5_000) break
  }
  const {document, ms} = await applying
  if (toHealthyMs === undefined) throw new Error(`${host.name} never answered 200 after apply`)
  return {toHealthyMs, cliMs: ms, steps: document.hosts[0]!.steps}
}

interface ConvergenceCase {
  label: string
  action: string
  inject: (host: LabHost) => Promise<Fault502>
}

const CONVERGENCE_CASES: ConvergenceCase[] = [
  {label: 'reload-only (nginx on the 8.1 socket)', action: 'nginx reload', inject: versionSocketMismatch},
  {label: 'restart (socket owned by root)', action: `${FPM_SERVICE} restart`, inject: socketOwnedByRoot},
]

// ---------------------------------------------------------------- (b) requests lost under load

interface LoadFigures {
  requests: number
  ok: number
  /** Non-200 statuses (`HTTP 502`) and connection errors (`ECONNRESET`) with their counts. */
  failures: Map<string, number>
  durationMs: number
  /** From the first failed request's start to the last one's end: how long the site was (partly) down. */
  outageMs: number
}

const MAX_LOAD_MS = 60_000
const MAX_LOAD_REQUESTS = 200_000

/** GET `path` in a loop from `concurrency` workers until stopped (or 60 s / 200k requests, whichever comes first). */
function startLoad(
  port: number,
  path: string,
  options: Pick<Options, 'concurrency' | 'keepAlive'>,
): {stop: () => Promise<LoadFigures>} {
  const agent: Agent | false = options.keepAlive ? new Agent({keepAlive: true, maxSockets: options.concurrency}) : false
  const figures: LoadFigures = {requests: 0, ok: 0, failures: new Map(), durationMs: 0, outageMs: 0}
  const started = performance.now()
  let stopped = false
  let firstFailure: number | undefined
  const once = (): Promise<void> =>
    new Promise((resolve) => {
      const sent = performance.now()
      const fail = (what: string): void => {
        figures.failures.set(what, (figures.failures.get(what) ?? 0) + 1)
        firstFailure = Math.min(firstFailure ?? sent, sent)
        figures.outageMs = performance.now() - firstFailure
      }
      const req = request({host: '127.0.0.1', port, path, agent, timeout: 10_000}, (res) => {
        res.resume()
        res.on('end', () => {
          if (res.statusCode === 200) figures.ok += 1
          else fail(`HTTP ${res.statusCode}`)
          resolve()
        })
        res.on('error', (error: NodeJS.ErrnoException) => {
          fail(error.code ?? error.message)
          resolve()
        })
      })
      req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), {code: 'TIMEOUT'})))
      req.on('error', (error: NodeJS.ErrnoException) => {
        fail(error.code ?? error.message)
        resolve()
      })
      req.end()
    })
  const worker = async (): Promise<void> => {
    while (!stopped && performance.now() - started < MAX_LOAD_MS && figures.requests < MAX_LOAD_REQUESTS) {
      figures.requests += 1
      await once()
    }
  }
  const workers = Promise.all(Array.from({length: options.concurrency}, worker))
  return {
    async stop() {
      stopped = true
      await workers
      figures.durationMs = performance.now() - started
      if (agent) agent.destroy()
      return figures
    },
  }
}

const LEAD_MS = 1_000

/** The load alone for `seconds`, or with `disturb` started after a lead second and a trailing second after it. */
async function underLoad(host: LabHost, options: Options, disturb?: () => Promise<unknown>): Promise<LoadFigures> {
  const load = startLoad(host.httpPort, '/index.php', options)
  if (disturb === undefined) {
    await sleep(options.loadSeconds * 1_000)
    return load.stop()
  }
  await sleep(LEAD_MS)
  try {
    await disturb()
  } finally {
    await sleep(LEAD_MS)
  }
  return load.stop()
}

interface LoadCase {
  label: string
  action: string
  /** Sets the pending change up once. */
  prepare: (host: LabHost) => Promise<unknown>
  /** Shows the 502 the change fixes again, so the error log has fresh evidence to plan from. */
  provoke: (host: LabHost) => Promise<unknown>
  byHand: string
}

const LOAD_CASES: LoadCase[] = [
  {
    label: 'reload-only (raise fastcgi_buffer_size)',
    action: 'nginx reload',
    prepare: bigHeaders,
    provoke: bigHeaders,
    byHand: 'service nginx reload',
  },
  {
    label: 'restart (fix [shop] socket owner)',
    action: `${FPM_SERVICE} restart`,
    prepare: secondPoolBroken,
    provoke: (host) => expectStatus(host, SHOP_PATH, 502),
    byHand: `service ${FPM_SERVICE} restart`,
  },
]

interface LoadRound {
  baseline: LoadFigures
  apply: LoadFigures
  byHand: LoadFigures
}

async function loadRound(lab: Lab, host: LabHost, spec: LoadCase, options: Options, dir: string): Promise<LoadRound> {
  const baseline = await underLoad(host, options)
  const byHand = await underLoad(host, options, () => host.exec(spec.byHand))
  // Planned after the hand-made action: a restart changes what the plan fingerprints, a reload starts a new log generation.
  await spec.provoke(host)
  const planFile = await planExpecting(lab, host, dir, spec.action)
  const apply = await underLoad(host, options, () => applyPlan(lab, host, planFile))
  // Put the pending change back for the next round, the way an operator would undo it.
  const undo = await runCli<JsonApplyDocument>(
    ['rollback', ...connectionArgs(lab), host.name, '--auto-approve', '--json'],
    {timeoutMs: 120_000},
  )
  if (undo.code !== 0 || undo.json?.hosts[0]?.status !== 'undone')
    throw new Error(`fpmfix rollback on ${host.name} failed\n${describeRun(undo)}`)
  return {baseline, apply, byHand}
}

// ---------------------------------------------------------------- report

function failureCount(figures: LoadFigures): number {
  return figures.requests - figures.ok
}

function rate(figures: LoadFigures): number {
  return (figures.requests / figures.durationMs) * 1_000
}

function describeFailures(rounds: LoadFigures[]): string {
  const totals = new Map<string, number>()
  for (const round of rounds)
    for (const [what, count] of round.failures) totals.set(what, (totals.get(what) ?? 0) + count)
  return totals.size === 0 ? 'none' : [...totals].map(([what, count]) => `${what} ×${count}`).join(', ')
}

function describeLoad(label: string, rounds: LoadFigures[], baseline: LoadFigures[]): string[] {
  const failed = rounds.map(failureCount)
  const requests = rounds.reduce((sum, round) => sum + round.requests, 0)
  const throughput = median(rounds.map(rate)) / median(baseline.map(rate))
  const total = failed.reduce((a, b) => a + b, 0)
  const spans = rounds.map((round) => `${Math.round(round.outageMs)}`).join(', ')
  return [
    `  ${label.padEnd(28)} failed per round: ${failed.join(', ').padEnd(12)} total ${total} of ${requests} (${describeFailures(rounds)})`,
    `  ${''.padEnd(28)} ${Math.round(median(rounds.map(rate)))} req/s median, ` +
      `${throughput.toFixed(2)}× baseline throughput; failures spanned ${spans} ms`,
  ]
}

function report(options: Options, convergence: Map<string, Convergence[]>, load: Map<string, LoadRound[]>): string {
  const lines = [
    `apply benchmark: lab hosts over SSH on 127.0.0.1, ${options.rounds} measured rounds, medians`,
    '',
    '(a) from `fpmfix apply PLANFILE` to healthy',
  ]
  for (const [label, rounds] of convergence) {
    const stepNames = [...new Set(rounds.flatMap((round) => round.steps.map((step) => step.name)))]
    const stepMedian = (name: string): number =>
      median(rounds.map((round) => round.steps.find((step) => step.name === name)?.ms ?? 0))
    const hostTotal: Series = {
      label: '  host-side steps, total',
      values: rounds.map((round) => round.steps.reduce((sum, step) => sum + step.ms, 0)),
    }
    lines.push(
      label,
      describeSeries({label: '  spawn → first 200 from /index.php', values: rounds.map((round) => round.toHealthyMs)}),
      describeSeries({label: '  spawn → CLI exit', values: rounds.map((round) => round.cliMs)}),
      describeSeries(hostTotal),
      `  host steps: ${stepNames.map((name) => `${name} ${Math.round(stepMedian(name))}`).join(', ')} (ms)`,
      `  ratio first 200 / CLI exit: ${(median(rounds.map((round) => round.toHealthyMs)) / median(rounds.map((round) => round.cliMs))).toFixed(2)}`,
    )
  }
  const mode = options.keepAlive ? 'keep-alive connections' : 'a new connection per request'
  lines.push(
    '',
    `(b) GET /index.php under load: ${options.concurrency} workers, ${mode}; change applied ${LEAD_MS} ms into the load`,
  )
  for (const [label, rounds] of load) {
    const baseline = rounds.map((round) => round.baseline)
    lines.push(
      label,
      ...describeLoad(`baseline (${options.loadSeconds} s, no change)`, baseline, baseline),
      ...describeLoad(
        'service action by hand',
        rounds.map((round) => round.byHand),
        baseline,
      ),
      ...describeLoad(
        'fpmfix apply',
        rounds.map((round) => round.apply),
        baseline,
      ),
    )
  }
  return lines.join('\n')
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const options = readOptions()
  await buildUnlessSkipped(options.build)
  const dir = await mkdtemp(path.join(tmpdir(), 'fpmfix-bench-apply-'))
  const hosts = CONVERGENCE_CASES.length + LOAD_CASES.length
  await withLab({hosts, namePrefix: 'benchapply'}, async (lab) => {
    const convergence = new Map<string, Convergence[]>()
    for (const [index, spec] of CONVERGENCE_CASES.entries()) {
      const host = lab.hosts[index]!
      const rounds: Convergence[] = []
      for (let round = 0; round <= options.rounds; round++) {
        process.stderr.write(`(a) ${spec.label}: ${round === 0 ? 'warm-up' : `round ${round}/${options.rounds}`}…\n`)
        await spec.inject(host)
        const measured = await timeToHealthy(lab, host, await planExpecting(lab, host, dir, spec.action))
        if (round > 0) rounds.push(measured)
      }
      convergence.set(spec.label, rounds)
    }
    const load = new Map<string, LoadRound[]>()
    for (const [index, spec] of LOAD_CASES.entries()) {
      const host = lab.hosts[CONVERGENCE_CASES.length + index]!
      await spec.prepare(host)
      const rounds: LoadRound[] = []
      for (let round = 1; round <= options.rounds; round++) {
        process.stderr.write(`(b) ${spec.label}: round ${round}/${options.rounds}…\n`)
        rounds.push(await loadRound(lab, host, spec, options, dir))
      }
      load.set(spec.label, rounds)
    }
    process.stdout.write(`${report(options, convergence, load)}\n`)
  }).finally(() => rm(dir, {recursive: true, force: true}))
}

await main()
