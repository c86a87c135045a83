import {optionalInt, parseKeyValues, type Section} from './frames.js'

/**
 * The TypeScript side of the transaction journal (README.md here, "Journal"): where it lives,
 * the step names and final states a transaction writes, and the sections its readers print
 * (sh/journal.sh).
 */

export const DEFAULT_STATE_DIR = '/var/lib/fpmfix'

/** The sh libraries every journal reader is built from, before its own main file. */
export const JOURNAL_LIBRARIES = ['protocol/sh/frame.sh', 'protocol/sh/journal.sh']

function stateRoot(stateDir: string): string {
  return stateDir.replace(/\/+$/, '')
}

export function journalRoot(stateDir: string): string {
  return `${stateRoot(stateDir)}/journal`
}

export function journalDir(stateDir: string, txid: string): string {
  return `${journalRoot(stateDir)}/${txid}`
}

export function lockDir(stateDir: string): string {
  return `${stateRoot(stateDir)}/lock`
}

/** Transaction ids: the UTC start time, then 32 random bits (20261123T221500Z-ab12cd34). */
export function isTxid(value: string): boolean {
  return /^[0-9]{8}T[0-9]{6}Z-[0-9a-f]{8}$/.test(value)
}

/** Words a transaction writes as the last line of its state file once it is over. */
export const FINAL_STATES = [
  'committed',
  'rolled-back',
  'rollback-failed',
  'refused-stale',
  'locked',
  'failed',
  'already-applied',
] as const
export type FinalState = (typeof FINAL_STATES)[number]

export function isFinalState(word: string | undefined): word is FinalState {
  return (FINAL_STATES as readonly string[]).includes(word ?? '')
}

/**
 * The steps of a transaction, in the order it takes them; `action-N` come between validate and
 * probe, each followed by its health gate `gate-N` when it has one.
 */
export const STEPS = {
  lock: 'lock',
  check: 'check',
  backup: 'backup',
  write: 'write',
  validate: 'validate',
  probe: 'probe',
  /** Written to the state file (not to times) when a rollback starts. */
  rollback: 'rollback',
} as const

export function actionStep(index: number): string {
  return `action-${index}`
}

/** The probes that must pass right after action `index`, before the next one. */
export function gateStep(index: number): string {
  return `gate-${index}`
}

/** Every step name a transaction reports, in order; `gated` has one entry per service action: whether a gate follows it. */
export function transactionSteps(gated: readonly boolean[]): string[] {
  return [
    STEPS.lock,
    STEPS.check,
    STEPS.backup,
    STEPS.write,
    STEPS.validate,
    ...gated.flatMap((gate, index) => (gate ? [actionStep(index), gateStep(index)] : [actionStep(index)])),
    STEPS.probe,
  ]
}

/** One completed step of a transaction and how long it took on the host. */
export interface StepTiming {
  name: string
  ms: number
}

/** Who holds (or held) the host lock. */
export interface LockInfo {
  txid: string
  pid: number | undefined
  owner: string
  started: string
  /** The holding process is still running. */
  alive?: boolean
}

/** What a journal reader printed about one transaction (tx_report in sh/journal.sh). */
export interface JournalReport {
  txid: string
  /** The transaction has a journal directory. */
  found: boolean
  /** Its process is running now. */
  alive: boolean
  /** Complete lines of its state file: steps, `rollback`, then the final state. */
  state: string[]
  steps: StepTiming[]
  /** The final state, once the transaction is over. */
  final?: FinalState
  /** key=value records of its result file, once over. */
  result?: Map<string, string>
  output?: string
  log?: string
  manifest?: string
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

/** `<step> <ms>` lines of a times file. */
export function parseTimes(text: string): StepTiming[] {
  return completeLines(text).flatMap((line) => {
    const match = /^(\S+) (-?\d+)$/.exec(line)
    return match ? [{name: match[1]!, ms: Math.max(0, Number(match[2]))}] : []
  })
}

/** A `step` section printed while following a transaction; its tag numbers it from 1. */
export function parseStepSection(section: Section): (StepTiming & {number: number}) | undefined {
  const values = parseKeyValues(section.content)
  const name = values.get('name')
  const number = optionalInt(section.tag)
  if (!section.complete || name === undefined || name === '' || number === undefined) return undefined
  return {number, name, ms: Math.max(0, optionalInt(values.get('ms')) ?? 0)}
}

/** The fields of a lock (a `lock` section, or `lock_*` / `recovered_*` result records). */
export function lockInfo(values: Map<string, string>, prefix = ''): LockInfo | undefined {
  const txid = values.get(`${prefix}txid`)
  if (txid === undefined) return undefined
  const alive = values.get(`${prefix}alive`)
  return {
    txid,
    pid: optionalInt(values.get(`${prefix}pid`)),
    owner: values.get(`${prefix}owner`) ?? '',
    started: values.get(`${prefix}started`) ?? '',
    ...(alive === undefined ? {} : {alive: alive === '1'}),
  }
}

const REPORT_PARTS = new Set(['state', 'times', 'result', 'output', 'log', 'manifest'])

/** The report of the transaction whose `tx` section is sections[index], with the sections that follow it. */
export function parseJournalReport(sections: Section[], index: number): JournalReport {
  const head = sections[index]!
  const values = parseKeyValues(head.content)
  const report: JournalReport = {
    txid: head.arg,
    found: values.get('found') === '1',
    alive: values.get('alive') === '1',
    state: [],
    steps: [],
  }
  for (const section of sections.slice(index + 1)) {
    if (!REPORT_PARTS.has(section.kind)) break
    if (section.kind === 'state') report.state = completeLines(section.content)
    else if (section.kind === 'times') report.steps = parseTimes(section.content)
    else if (section.kind === 'result') report.result = parseKeyValues(section.content)
    else report[section.kind as 'output' | 'log' | 'manifest'] = section.content
  }
  const status = report.result?.get('status')
  if (isFinalState(status)) report.final = status
  else delete report.result
  return report
}

/** The first transaction report among sections, if any. */
export function findJournalReport(sections: Section[]): JournalReport | undefined {
  const index = sections.findIndex((section) => section.kind === 'tx')
  return index < 0 ? undefined : parseJournalReport(sections, index)
}
