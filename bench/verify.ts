/**
 * Is `fpmfix verify` a load generator worth its name? Requests per second it reaches on one lab
 * host, against wrk on the same route, Host header and number of connections, measured in the
 * same round (order rotated between rounds, one unmeasured warm-up round first).
 *
 *   npx tsx bench/verify.ts [--rounds 5] [--seconds 3] [--concurrency 10,50] [--path /index.php] [--skip-build]
 *
 * Per round and concurrency C:
 *   wrk        wrk -t min(2,C) -c C -d S --latency -H 'Host: NAME' http://127.0.0.1:PORT/PATH
 *   from host  fpmfix verify NAME --url PATH -c C -d S --json      (the PHP CLI program on the host, over SSH)
 *   from here  fpmfix verify NAME --url PATH -c C -d S --from-here --json   (this Node process)
 * verify's figure is the one it reports (answered requests / load time), wrk's its Requests/sec.
 * Target: each verify figure ≥ 0.80 × wrk's in the same round (median over rounds); exit 1 below it.
 * wrk is a Debian package (apt-get install -y wrk); without it the verify figures are printed alone.
 */
import {execFile} from 'node:child_process'
import {parseArgs, promisify} from 'node:util'

import type {RouteReport, VerifyReport} from '../src/verify/types.js'
import type {Lab, LabHost} from '../test/lab/lab/index.js'
import {connectionArgs} from '../test/lab/support/apply-cli-helpers.js'
import {describeRun, runCli} from '../test/lab/support/run-cli.js'
import {buildUnlessSkipped, integerOption, withLab} from './harness.js'
import {median, timedSpawn} from './measure.js'

const TARGET_RATIO = 0.8

interface Options {
  rounds: number
  seconds: number
  concurrency: number[]
  path: string
  build: boolean
}

function readOptions(): Options {
  const {values} = parseArgs({
    options: {
      // Short paired runs, many rounds: on a shared machine the median of same-round ratios is what holds still.
      rounds: {type: 'string', default: '5'},
      seconds: {type: 'string', default: '3'},
      concurrency: {type: 'string', default: '10,50'},
      path: {type: 'string', default: '/index.php'},
      'skip-build': {type: 'boolean', default: false},
    },
  })
  if (!values.path.startsWith('/')) throw new Error(`--path must start with /, not ${values.path}`)
  return {
    rounds: integerOption('rounds', values.rounds, 1, 20),
    seconds: integerOption('seconds', values.seconds, 1, 60),
    concurrency: values.concurrency.split(',').map((text) => integerOption('concurrency', text.trim(), 1, 512)),
    path: values.path,
    build: !values['skip-build'],
  }
}

type Tool = 'wrk' | 'host' | 'here'

const LABELS: Record<Tool, string> = {
  wrk: 'wrk',
  host: 'verify, from the host (PHP CLI over SSH)',
  here: 'verify --from-here (Node, this machine)',
}

interface Figure {
  rps: number
  p50Ms: number
  p99Ms: number
}

async function hasWrk(): Promise<boolean> {
  try {
    await promisify(execFile)('wrk', ['--version'])
    return true
  } catch (error) {
    // wrk --version prints its usage and exits 1; only a missing binary is ENOENT.
    return (error as NodeJS.ErrnoException).code !== 'ENOENT'
  }
}

/** wrk's latency figures, e.g. `50%  612.00us` or `99%    4.21ms`, in milliseconds. */
function wrkLatencyMs(output: string, percentile: string): number {
  const match = new RegExp(`^\\s*${percentile}%\\s+([\\d.]+)(us|ms|s)\\b`, 'm').exec(output)
  if (!match) return Number.NaN
  const value = Number(match[1])
  return match[2] === 'us' ? value / 1000 : match[2] === 's' ? value * 1000 : value
}

async function runWrk(host: LabHost, options: Options, concurrency: number): Promise<Figure> {
  const threads = Math.min(2, concurrency)
  const url = `http://127.0.0.1:${host.httpPort}${options.path}`
  const args = ['-t', `${threads}`, '-c', `${concurrency}`, '-d', `${options.seconds}s`, '--latency']
  const run = await timedSpawn('wrk', [...args, '-H', `Host: ${host.name}`, url])
  const rps = /^Requests\/sec:\s+([\d.]+)/m.exec(run.stdout)?.[1]
  if (run.code !== 0 || rps === undefined) throw new Error(`wrk failed (exit ${run.code})\n${run.stdout}${run.stderr}`)
  if (/Non-2xx or 3xx responses|Socket errors/.test(run.stdout))
    throw new Error(`wrk saw failed requests; the figures would not compare\n${run.stdout}`)
  return {rps: Number(rps), p50Ms: wrkLatencyMs(run.stdout, '50'), p99Ms: wrkLatencyMs(run.stdout, '99')}
}

async function runVerify(lab: Lab, host: LabHost, options: Options, concurrency: number, from: 'host' | 'here') {
  const args = ['verify', ...connectionArgs(lab), host.name, '--url', options.path, '-c', `${concurrency}`]
  const run = await runCli<{hosts: VerifyReport[]}>(
    [...args, '-d', `${options.seconds}`, '--json', ...(from === 'here' ? ['--from-here'] : [])],
    {timeoutMs: (options.seconds + 120) * 1000},
  )
  const route: RouteReport | undefined = run.json?.hosts[0]?.routes?.[0]
  if (run.code !== 0 || route === undefined) throw new Error(`fpmfix verify did not pass\n${describeRun(run)}`)
  return {
    rps: route.requestsPerSecond,
    p50Ms: route.latencyMs?.p50 ?? Number.NaN,
    p99Ms: route.latencyMs?.p99 ?? Number.NaN,
  }
}

/** Each tool once, in an order that moves by one every round so none always runs first or after another. */
function roundOrder(tools: readonly Tool[], round: number): Tool[] {
  return tools.map((_, index) => tools[(index + round) % tools.length]!)
}

function report(
  options: Options,
  host: LabHost,
  results: Map<number, Array<Partial<Record<Tool, Figure>>>>,
  withWrk: boolean,
): {text: string; ok: boolean} {
  const lines = [
    `fpmfix verify vs wrk — one lab host (nginx + php8.2-fpm, Debian's [www] pool), GET ${options.path} as ` +
      `Host: ${host.name}, ${options.seconds} s per run, ${options.rounds} rounds; median (min … max) per round`,
  ]
  let ok = true
  for (const [concurrency, rounds] of results) {
    lines.push('', `${concurrency} connections`)
    lines.push(
      `  ${''.padEnd(44)} ${'req/s'.padStart(20)}   ${'p50'.padStart(8)} ${'p99'.padStart(8)}   ${withWrk ? '× wrk (same round)' : ''}`,
    )
    for (const tool of withWrk ? (['wrk', 'host', 'here'] as const) : (['host', 'here'] as const)) {
      const figures = rounds.map((round) => round[tool]).filter((figure): figure is Figure => figure !== undefined)
      const rps = figures.map((figure) => figure.rps)
      const range = `${Math.round(median(rps))} (${Math.round(Math.min(...rps))} … ${Math.round(Math.max(...rps))})`
      const latency = (pick: (figure: Figure) => number): string => `${median(figures.map(pick)).toFixed(2)}ms`
      let ratio = ''
      if (withWrk && tool !== 'wrk') {
        const ratios = rounds.flatMap((round) => (round[tool] && round.wrk ? [round[tool].rps / round.wrk.rps] : []))
        const value = median(ratios)
        ok &&= value >= TARGET_RATIO
        ratio = `${value.toFixed(2)} (${Math.min(...ratios).toFixed(2)} … ${Math.max(...ratios).toFixed(2)})`
      }
      lines.push(
        `  ${LABELS[tool].padEnd(44)} ${range.padStart(20)}   ${latency((f) => f.p50Ms).padStart(8)} ${latency((f) => f.p99Ms).padStart(8)}   ${ratio}`,
      )
    }
  }
  lines.push(
    '',
    withWrk
      ? `target: verify ≥ ${TARGET_RATIO.toFixed(2)} × wrk — ${ok ? 'met' : 'NOT MET'}`
      : 'wrk not found: install it (Debian: apt-get install -y wrk) to compare against it in the same run.',
  )
  return {text: lines.join('\n'), ok}
}

async function main(): Promise<number> {
  const options = readOptions()
  await buildUnlessSkipped(options.build)
  const withWrk = await hasWrk()
  if (!withWrk) process.stderr.write('wrk not found (Debian: apt-get install -y wrk); measuring verify alone.\n')
  return withLab({hosts: 1, namePrefix: 'benchverify'}, async (lab) => {
    const host = lab.hosts[0]!
    const tools: Tool[] = withWrk ? ['wrk', 'host', 'here'] : ['host', 'here']
    const results = new Map<number, Array<Partial<Record<Tool, Figure>>>>()
    for (const concurrency of options.concurrency) {
      const rounds: Array<Partial<Record<Tool, Figure>>> = []
      for (let round = 0; round <= options.rounds; round++) {
        process.stderr.write(
          `${concurrency} connections: ${round === 0 ? 'warm-up' : `round ${round}/${options.rounds}`}…\n`,
        )
        const figures: Partial<Record<Tool, Figure>> = {}
        for (const tool of roundOrder(tools, round)) {
          figures[tool] =
            tool === 'wrk'
              ? await runWrk(host, options, concurrency)
              : await runVerify(lab, host, options, concurrency, tool)
        }
        if (round > 0) rounds.push(figures)
      }
      results.set(concurrency, rounds)
    }
    const {text, ok} = report(options, host, results, withWrk)
    process.stdout.write(`${text}\n`)
    return ok ? 0 : 1
  })
}

process.exitCode = await main()
