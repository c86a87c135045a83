import {randomBytes} from 'node:crypto'
import {shellQuote} from '../util/shell-quote.js'
import type {ApplyResult, ApplyStatus, LockInfo, StepTiming, TransactionReport} from './types.js'

/** Final words a transaction writes as the last line of its state file. */
export const FINAL_STATES = [
  'committed',
  'rolled-back',
  'rollback-failed',
  'refused-stale',
  'locked',
  'failed',
] as const
export type FinalState = (typeof FINAL_STATES)[number]

const STATUS_OF: Record<FinalState, ApplyStatus> = {
  committed: 'applied',
  'rolled-back': 'rolled-back',
  'rollback-failed': 'rollback-failed',
  'refused-stale': 'refused-stale',
  locked: 'locked',
  failed: 'failed',
}

const OUTPUT_TAIL_BYTES = 65_536
const LOG_TAIL_BYTES = 16_384

export function newBoundary(): string {
  return `@@fpmfix-${randomBytes(8).toString('hex')}@@`
}

/** sh function `tx_alive PID TXID`: true when that pid runs that transaction's script (not a recycled pid). */
export const TX_ALIVE_FUNCTION = `tx_alive() {
  case $1 in ''|*[!0-9]*) return 1 ;; esac
  [ -d "/proc/$1" ] || return 1
  case $(tr '\\000' ' ' 2>/dev/null < "/proc/$1/cmdline") in *"/$2/tx.sh"*) return 0 ;; esac
  return 1
}`

/** sh function `section NAME` printing a section header for splitSections; needs $B. */
export const SECTION_FUNCTION = `section() { printf '\\n%s %s\\n' "$B" "$1"; }`

export interface PollParams {
  journalDir: string
  txid: string
  /** Return as soon as the state file has more lines than this (or the transaction finished). */
  knownSteps: number
  /** Wait on the host at most this long for news; 0 reads once. */
  waitMs: number
  intervalMs: number
  boundary: string
}

/** One exec that waits (bounded) for progress, then prints the journal's state, times, result and outputs. */
export function pollCommand(params: PollParams): string {
  const dir = shellQuote(params.journalDir)
  const rounds = params.waitMs > 0 ? Math.max(1, Math.ceil(params.waitMs / Math.max(10, params.intervalMs))) : 0
  const interval = (Math.max(10, params.intervalMs) / 1000).toFixed(3)
  const b = shellQuote(params.boundary)
  return [
    'LC_ALL=C',
    'export LC_ALL',
    TX_ALIVE_FUNCTION,
    `D=${dir}`,
    `B=${b}`,
    SECTION_FUNCTION,
    'i=0',
    `while [ "$i" -lt ${rounds} ]; do`,
    '  [ -f "$D/result" ] && break',
    '  n=0',
    '  [ -f "$D/state" ] && n=$(( $(wc -l < "$D/state") ))',
    `  [ "$n" -gt ${Math.max(0, Math.floor(params.knownSteps))} ] && break`,
    `  sleep ${interval} 2>/dev/null || sleep 1`,
    '  i=$((i + 1))',
    'done',
    'if [ ! -d "$D" ]; then section missing; exit 0; fi',
    // Liveness first: a process found dead here wrote everything it ever will before the reads below.
    'section alive',
    `if tx_alive "$(cat "$D/pid" 2>/dev/null)" ${shellQuote(params.txid)}; then echo 1; else echo 0; fi`,
    'section state; cat "$D/state" 2>/dev/null',
    'section times; cat "$D/times" 2>/dev/null',
    'section result; cat "$D/result" 2>/dev/null',
    'if [ -f "$D/result" ]; then',
    '  if grep -q "^stale=" "$D/result"; then section manifest; cat "$D/manifest.json" 2>/dev/null; fi',
    `  section output; tail -c ${OUTPUT_TAIL_BYTES} "$D/output" 2>/dev/null`,
    '  if ! grep -qx "status=committed" "$D/result"; then',
    `    section log; tail -c ${LOG_TAIL_BYTES} "$D/log" 2>/dev/null`,
    '  fi',
    'fi',
    'section end',
  ].join('\n')
}

/** Split `\n<boundary> <name>\n` sections; each body is exactly what was printed between two headers. */
export function splitSections(text: string, boundary: string): Map<string, string> {
  const sections = new Map<string, string>()
  const parts = `\n${text}`.split(`\n${boundary} `)
  for (const part of parts.slice(1)) {
    const newline = part.indexOf('\n')
    const name = newline < 0 ? part : part.slice(0, newline)
    sections.set(name, newline < 0 ? '' : part.slice(newline + 1))
  }
  return sections
}

/** Complete lines only: a line still being appended has no newline yet. */
function completeLines(text: string): string[] {
  const end = text.lastIndexOf('\n')
  return end < 0
    ? []
    : text
        .slice(0, end)
        .split('\n')
        .filter((line) => line !== '')
}

export function parseKeyValues(text: string): Map<string, string> {
  const values = new Map<string, string>()
  for (const line of completeLines(text)) {
    const eq = line.indexOf('=')
    if (eq > 0 && !values.has(line.slice(0, eq))) values.set(line.slice(0, eq), line.slice(eq + 1))
  }
  return values
}

export function parseTimes(text: string): StepTiming[] {
  return completeLines(text).flatMap((line) => {
    const match = /^(\S+) (-?\d+)$/.exec(line)
    return match ? [{name: match[1]!, ms: Math.max(0, Number(match[2]))}] : []
  })
}

function lockInfo(values: Map<string, string>, prefix: string): LockInfo | undefined {
  const txid = values.get(`${prefix}_txid`)
  if (txid === undefined) return undefined
  const pid = Number.parseInt(values.get(`${prefix}_pid`) ?? '', 10)
  return {
    txid,
    pid: Number.isInteger(pid) ? pid : undefined,
    owner: values.get(`${prefix}_owner`) ?? '',
    started: values.get(`${prefix}_started`) ?? '',
  }
}

function staleKeys(indices: string, manifestText: string | undefined): string[] {
  let checks: Array<{key?: unknown}> = []
  try {
    const manifest = JSON.parse(manifestText ?? '{}') as {checks?: Array<{key?: unknown}>}
    checks = Array.isArray(manifest.checks) ? manifest.checks : []
  } catch {
    checks = []
  }
  return indices
    .split(/\s+/)
    .filter(Boolean)
    .map((index) => {
      const key = checks[Number(index)]?.key
      return typeof key === 'string' ? key : `check #${index}`
    })
}

function isFinal(word: string | undefined): word is FinalState {
  return (FINAL_STATES as readonly string[]).includes(word ?? '')
}

/** The ApplyResult a finished journal describes. */
export function resultFromSections(sections: Map<string, string>): ApplyResult | undefined {
  const values = parseKeyValues(sections.get('result') ?? '')
  const final = values.get('status')
  if (!isFinal(final)) return undefined
  const status = STATUS_OF[final]
  const steps = parseTimes(sections.get('times') ?? '')
  const output = sections.get('output')
  const log = sections.get('log')
  const lock = lockInfo(values, 'lock')
  const recovered = lockInfo(values, 'recovered')
  const failedStep = values.get('failed_step')
  const rollbackStep = values.get('rollback_step')
  const txid = values.get('txid')
  const stale = values.get('stale')
  return {
    status,
    ...(txid ? {txid} : {}),
    ...(failedStep ? {failedStep} : {}),
    ...(output && status !== 'applied' ? {output} : {}),
    ...(stale !== undefined ? {stale: staleKeys(stale, sections.get('manifest'))} : {}),
    ...(lock ? {lock: {...lock, alive: true}} : {}),
    ...(recovered ? {recoveredLock: {...recovered, alive: false}} : {}),
    ...(rollbackStep ? {rollbackStep} : {}),
    steps,
    ...(log && status !== 'applied' ? {log} : {}),
  }
}

/** Parse a poll's output; undefined when the journal does not exist. */
export function parsePollOutput(txid: string, text: string, boundary: string): TransactionReport | undefined {
  const sections = splitSections(text, boundary)
  if (sections.has('missing') || !sections.has('state')) return undefined
  const state = completeLines(sections.get('state') ?? '')
  const result = resultFromSections(sections)
  const running = (sections.get('alive') ?? '').trim() === '1'
  return {
    txid,
    running: running && result === undefined,
    interrupted: !running && result === undefined && state.length > 0,
    steps: parseTimes(sections.get('times') ?? ''),
    ...(result ? {result} : {}),
  }
}
