import {readFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'

import {parseNginxDump, type NginxConfig} from '../../../src/nginx/index.js'

export const LAYOUTS = [
  'debian-php82',
  'debian-multi-php',
  'rhel-remi',
  'alpine-php82',
  'docker-php-fpm',
  'apps',
] as const
export type Layout = (typeof LAYOUTS)[number]

const fixtures = fileURLToPath(new URL('../../../fixtures/', import.meta.url))

export function readDump(layout: Layout): string {
  return readFileSync(`${fixtures}${layout}/nginx-T.txt`, 'utf8')
}

export function loadLayout(layout: Layout): NginxConfig {
  return parseNginxDump(readDump(layout))
}

/** The fixture's copy of a file nginx names as /etc/nginx/…, read from disk (symlinks followed). */
export function readConfigFile(layout: Layout, path: string): string {
  if (!path.startsWith('/etc/nginx/')) throw new Error(`not under /etc/nginx: ${path}`)
  return readFileSync(`${fixtures}${layout}${path}`, 'utf8')
}

/** Lines with their endings kept, so CRLF survives comparison. */
export function linesOf(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? []
}

/** The 1-based line numbers whose text differs, assuming the same line count. */
export function changedLines(before: string, after: string): number[] {
  const a = linesOf(before)
  const b = linesOf(after)
  if (a.length !== b.length) throw new Error(`line count changed: ${a.length} → ${b.length}`)
  return a.flatMap((line, index) => (line === b[index] ? [] : [index + 1]))
}

/** `after` equals `before` with `count` lines inserted at 1-based `line`. */
export function insertedLines(before: string, after: string): {line: number; text: string[]} {
  const a = linesOf(before)
  const b = linesOf(after)
  let head = 0
  while (head < a.length && a[head] === b[head]) head++
  const count = b.length - a.length
  if (count <= 0 || a.slice(head).join('') !== b.slice(head + count).join('')) {
    throw new Error('the edit changed more than an insertion of whole lines')
  }
  return {line: head + 1, text: b.slice(head, head + count)}
}
