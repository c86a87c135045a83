import {readFileSync} from 'node:fs'
import {join} from 'node:path'

import {formatNaive, parseFpmTime, parseHostClock, parseNginxTime} from '../../../../src/logs/log-time.js'
import {FIXTURES, type LayoutOptions} from '../../../support/snapshot-from-layout.js'

const NGINX_STAMP = /^(\d{4}\/\d{2}\/\d{2} \d{2}:\d{2}:\d{2})/
const FPM_STAMP = /^\[(\d{2}-[A-Z][a-z]{2}-\d{4} \d{2}:\d{2}:\d{2})\]/
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']

/** Lines of a real capture in fixtures/logs/, optionally only those matching `pattern`. */
export function captured(name: string, pattern?: RegExp): string[] {
  const lines = readFileSync(join(FIXTURES, 'logs', name), 'utf8')
    .split('\n')
    .filter((line) => line !== '')
  const kept = pattern === undefined ? lines : lines.filter((line) => pattern.test(line))
  if (kept.length === 0) throw new Error(`no line of ${name} matches ${String(pattern)}`)
  return kept
}

function stampOf(line: string): number | undefined {
  const nginx = NGINX_STAMP.exec(line)
  if (nginx) return parseNginxTime(nginx[1]!)
  const fpm = FPM_STAMP.exec(line)
  return fpm ? parseFpmTime(fpm[1]!) : undefined
}

function restampLine(line: string, time: number): string {
  const iso = formatNaive(time)
  if (NGINX_STAMP.test(line)) return line.replace(NGINX_STAMP, iso.replaceAll('-', '/'))
  const [date, clock] = iso.split(' ') as [string, string]
  const [year, month, day] = date.split('-')
  return line.replace(FPM_STAMP, `[${day}-${MONTHS[Number(month) - 1]}-${year} ${clock}]`)
}

/**
 * Move captured lines (nginx or php-fpm format) in time so the newest lands at `newestAt`
 * (naive host time `YYYY-MM-DD HH:MM:SS`), keeping the gaps between them.
 * Several groups shifted by one call keep their relative timing too.
 */
export function restamp(lines: string[], newestAt: string): string[] {
  const target = parseHostClock(newestAt)
  if (target === undefined) throw new Error(`not a host clock time: ${newestAt}`)
  const stamps = lines.map(stampOf).filter((time): time is number => time !== undefined)
  const shift = target - Math.max(...stamps)
  return lines.map((line) => {
    const time = stampOf(line)
    return time === undefined ? line : restampLine(line, time + shift)
  })
}

/** Shift nginx and php-fpm captures by the same amount, so lines logged together stay together. */
export function restampTogether(
  groups: {nginx: string[]; fpm: string[]},
  newestAt: string,
): {nginx: string; fpm: string} {
  const all = restamp([...groups.nginx, ...groups.fpm], newestAt)
  return {nginx: lines(all.slice(0, groups.nginx.length)), fpm: lines(all.slice(groups.nginx.length))}
}

/** `minutes` before a host clock time, in the same format. */
export function minutesBefore(localTime: string, minutes: number): string {
  const time = parseHostClock(localTime)
  if (time === undefined) throw new Error(`not a host clock time: ${localTime}`)
  return formatNaive(time - minutes * 60_000)
}

/** nginx's EAGAIN connect failures and php-fpm's "server reached pm.max_children" in the exhaustion capture. */
export const EAGAIN = /\(11: Resource temporarily unavailable\)/
export const MAX_CHILDREN_REACHED = /server reached pm\.max_children/

/** The pool the exhaustion capture ran: www with pm.max_children = 2 and listen.backlog = 1. */
export const EXHAUSTED_CAPTURE_POOL: LayoutOptions['fpm'] = [
  {pool: 'www', key: 'pm.max_children', value: '2'},
  {pool: 'www', key: 'pm.max_spare_servers', value: '2'},
  {pool: 'www', key: 'listen.backlog', value: '1'},
]

/** The exhaustion capture moved so its newest line is at `newestAt`; without nginx's EAGAIN lines when `eagain` is false. */
export function exhaustionCapture(newestAt: string, eagain = true): {nginx: string; fpm: string} {
  return restampTogether(
    {
      nginx: eagain ? captured('nginx-error-exhausted.log', EAGAIN) : [],
      fpm: captured('php8.2-fpm-exhausted.log', MAX_CHILDREN_REACHED),
    },
    newestAt,
  )
}

export function lines(list: string[]): string {
  return list.length === 0 ? '' : `${list.join('\n')}\n`
}
