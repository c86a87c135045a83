import {spawn} from 'node:child_process'
import {existsSync} from 'node:fs'

const GNU_TIME = '/usr/bin/time'

export interface TimedRun {
  /** Wall time from spawn to exit. */
  ms: number
  code: number | null
  stdout: string
  stderr: string
  /** Peak resident set size of the command, from GNU time -v; undefined when that is not available. */
  maxRssKb?: number
}

export interface TimedSpawnOptions {
  stdin?: string
  cwd?: string
  env?: NodeJS.ProcessEnv
  timeoutMs?: number
  /** Run under `/usr/bin/time -v` to learn the peak RSS (its report is removed from stderr). */
  peakRss?: boolean
}

export const canMeasurePeakRss = existsSync(GNU_TIME)

/** Run a command to exit and time it. */
export function timedSpawn(
  command: string,
  args: readonly string[],
  options: TimedSpawnOptions = {},
): Promise<TimedRun> {
  const wrapped = options.peakRss === true && canMeasurePeakRss
  const [file, argv] = wrapped ? [GNU_TIME, ['-v', command, ...args]] : [command, [...args]]
  return new Promise((resolve, reject) => {
    const started = performance.now()
    const child = spawn(file, argv, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    const stdout: Buffer[] = []
    const stderr: Buffer[] = []
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 300_000)
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk))
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk))
    child.stdin.on('error', () => undefined)
    child.once('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
    child.once('close', (code) => {
      clearTimeout(timer)
      const ms = performance.now() - started
      const errText = Buffer.concat(stderr).toString('utf8')
      const run: TimedRun = {ms, code, stdout: Buffer.concat(stdout).toString('utf8'), stderr: errText}
      if (wrapped) Object.assign(run, splitTimeReport(errText))
      resolve(run)
    })
    child.stdin.end(options.stdin ?? '')
  })
}

/** GNU time appends its report to stderr; take the peak RSS out of it and give back the command's own stderr. */
function splitTimeReport(stderr: string): {stderr: string; maxRssKb?: number} {
  const start = stderr.lastIndexOf('\tCommand being timed:')
  if (start < 0) return {stderr}
  const report = stderr.slice(start)
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(report)?.[1]
  // "Command exited with non-zero status N" precedes the report when the command failed.
  const own = stderr.slice(0, start).replace(/Command exited with non-zero status \d+\n$/, '')
  return rss === undefined ? {stderr: own} : {stderr: own, maxRssKb: Number(rss)}
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

export interface Series {
  label: string
  values: number[]
}

/** `label  median  (min … max, n rounds)` in milliseconds. */
export function describeSeries(series: Series, unit = 'ms'): string {
  const {values} = series
  if (values.length === 0) return `${series.label.padEnd(44)} n/a`
  const fmt = (value: number): string => `${Math.round(value)} ${unit}`
  return `${series.label.padEnd(44)} ${fmt(median(values)).padStart(9)}   (${fmt(Math.min(...values))} … ${fmt(Math.max(...values))}, n=${values.length})`
}
