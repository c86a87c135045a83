import {paint} from './style.js'
import {outcomeStatus, verifySummary, type VerifyOutcome} from '../verify/report.js'
import type {RouteReport} from '../verify/types.js'
import {describeLoad} from '../verify/verify-host.js'

type Style = Parameters<typeof paint>[0]

const STATUS_STYLE: Record<'passed' | 'failed' | 'error', Style> = {
  passed: 'green',
  failed: ['red', 'bold'],
  error: ['red', 'bold'],
}

const HEADINGS = [
  'HOST',
  'STATUS',
  'ROUTE',
  'REQUESTS',
  'ANSWERS',
  '502/504',
  'CONN-ERR',
  'TIMEOUTS',
  'P50',
  'P95',
  'P99',
  'REQ/S',
]
/** Columns aligned right (counts and figures). */
const NUMERIC = new Set([3, 5, 6, 7, 8, 9, 10, 11])

function ms(value: number | undefined): string {
  if (value === undefined) return '-'
  return value < 10 ? `${value.toFixed(2)}ms` : value < 1000 ? `${value.toFixed(1)}ms` : `${(value / 1000).toFixed(2)}s`
}

function routeCells(route: RouteReport): string[] {
  const answers = Object.entries(route.statuses).map(([status, count]) => `${status}×${count}`)
  return [
    route.url,
    String(route.requests),
    answers.join(' ') || '-',
    String(route.badGateway),
    String(route.connectionErrors),
    String(route.timeouts),
    ms(route.latencyMs?.p50),
    ms(route.latencyMs?.p95),
    ms(route.latencyMs?.p99),
    route.requestsPerSecond.toFixed(1),
  ]
}

function table(rows: string[][], styles: Array<Style | undefined>): string[] {
  const widths = HEADINGS.map((heading, column) =>
    Math.max(heading.length, ...rows.map((row) => row[column]?.length ?? 0)),
  )
  const line = (cells: string[], style?: Style): string =>
    cells
      .map((cell, column) => {
        const padded = NUMERIC.has(column) ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!)
        return column === 1 && style !== undefined ? paint(style, padded) : padded
      })
      .join('  ')
      .trimEnd()
  return [paint('bold', line(HEADINGS)), ...rows.map((row, index) => line(row, styles[index]))]
}

/** One table row per host and route, then what went wrong where, then the summary. */
export function renderVerifyText(outcomes: readonly VerifyOutcome[]): string {
  const rows: string[][] = []
  const styles: Array<Style | undefined> = []
  const notes: string[] = []
  for (const outcome of outcomes) {
    const status = outcomeStatus(outcome)
    if (!outcome.ok) {
      // The reason goes below the table, where its length does not widen every column.
      rows.push([outcome.target.name, status, '-'])
      styles.push(STATUS_STYLE.error)
      notes.push(`${outcome.target.name}: [${outcome.error.code}] ${outcome.error.message}`)
      if (outcome.error.hint !== undefined) notes.push(`${outcome.target.name}: hint: ${outcome.error.hint}`)
      continue
    }
    for (const route of outcome.value.routes) {
      rows.push([outcome.target.name, route.passed ? 'passed' : 'failed', ...routeCells(route)])
      styles.push(STATUS_STYLE[route.passed ? 'passed' : 'failed'])
      if (route.firstError !== undefined)
        notes.push(`${outcome.target.name}: ${route.url}: first error: ${route.firstError}`)
      if (route.responses > 0 && route.statuses['404'] === route.responses)
        notes.push(`${outcome.target.name}: ${route.url}: every answer was 404; is the path right? (--url)`)
    }
  }
  const first = outcomes.find((outcome) => outcome.ok)
  const load =
    first?.ok === true
      ? [
          paint(
            'dim',
            `Load per route: ${describeLoad(first.value.load)}, from ${first.value.from === 'host' ? 'each host itself' : 'here'}.`,
          ),
        ]
      : []
  const summary = verifySummary(outcomes)
  return (
    [
      ...load,
      ...table(rows, styles),
      ...(notes.length > 0 ? ['', ...notes] : []),
      '',
      paint('bold', summary.text),
    ].join('\n') + '\n'
  )
}

/** The --json document: {hosts: [{name, address, status, from, load, routes}], summary}. */
export function verifyJson(outcomes: readonly VerifyOutcome[]): Record<string, unknown> {
  return {
    hosts: outcomes.map((outcome) => ({
      name: outcome.target.name,
      address: outcome.target.address,
      ...(outcome.ok ? outcome.value : {status: 'error', error: outcome.error.toJSON()}),
    })),
    summary: verifySummary(outcomes),
  }
}
