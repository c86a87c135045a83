import {FpmfixError} from '../errors.js'
import {assertBoundary} from './boundary.js'

/**
 * Framing of everything a host program prints (see README.md here). Each section is
 *
 *   <B> BEGIN <kind> <tag> <arg>\n<content>\n<B> END <kind> <status> <flags>\n
 *
 * where <B> is a random per-run token the content cannot know, the newline
 * before END is always added by the script (so content keeps or lacks its own
 * trailing newline exactly), and <arg> is either plain text or '~' + hex bytes.
 */
export interface Section {
  kind: string
  /** '-' when the section has none. */
  tag: string
  /** Decoded argument, '' when the section has none. */
  arg: string
  content: string
  /** Exit status recorded in the END line; null when '-' or missing. */
  status: number | null
  flags: string[]
  /** False when the output ended (or the next section began) before this section's END line. */
  complete: boolean
}

export interface SplitResult {
  sections: Section[]
  /** Text found outside any section. */
  stray: string[]
}

/** Decode a header field or kv value: '~' + hex bytes, or the text itself. */
export function decodeField(field: string): string {
  if (!field.startsWith('~')) return field
  const hex = field.slice(1)
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) {
    throw new FpmfixError('GATHER_PARSE', `malformed hex field in host output: ${field.slice(0, 80)}`)
  }
  return Buffer.from(hex, 'hex').toString('utf8')
}

function parseStatus(text: string | undefined): number | null {
  if (text === undefined || !/^\d+$/.test(text)) return null
  return Number(text)
}

function lineStartIndexOf(text: string, needle: string, from: number): number {
  let index = text.indexOf(needle, from)
  while (index > 0 && text[index - 1] !== '\n') index = text.indexOf(needle, index + 1)
  return index
}

export function splitSections(stdout: string, boundary: string): SplitResult {
  assertBoundary(boundary)
  const begin = `${boundary} BEGIN `
  const endMarker = `\n${boundary} END `
  const sections: Section[] = []
  const stray: string[] = []
  let pos = 0
  while (pos < stdout.length) {
    const start = lineStartIndexOf(stdout, begin, pos)
    const before = stdout.slice(pos, start === -1 ? stdout.length : start)
    if (before.trim() !== '') stray.push(before)
    if (start === -1) break
    const headerEnd = stdout.indexOf('\n', start)
    if (headerEnd === -1) break
    const header = stdout.slice(start + begin.length, headerEnd).split(' ')
    const [kind = '', tag = '-', rawArg = '~'] = header
    const contentStart = headerEnd + 1
    const endAt = stdout.indexOf(endMarker, contentStart)
    const nextBegin = lineStartIndexOf(stdout, begin, contentStart)
    if (endAt === -1 || (nextBegin !== -1 && nextBegin < endAt)) {
      const stop = nextBegin === -1 ? stdout.length : nextBegin
      sections.push({
        kind,
        tag,
        arg: decodeField(rawArg),
        content: stdout.slice(contentStart, stop),
        status: null,
        flags: [],
        complete: false,
      })
      pos = stop
      continue
    }
    const endLineStart = endAt + 1
    const endLineEnd = stdout.indexOf('\n', endLineStart)
    const endLine = stdout.slice(endLineStart, endLineEnd === -1 ? stdout.length : endLineEnd)
    const [, , endKind, status, flags] = endLine.split(' ')
    sections.push({
      kind,
      tag,
      arg: decodeField(rawArg),
      content: stdout.slice(contentStart, endAt),
      status: parseStatus(status),
      flags: flags === undefined || flags === '-' ? [] : flags.split(','),
      complete: endKind === kind,
    })
    pos = endLineEnd === -1 ? stdout.length : endLineEnd + 1
  }
  return {sections, stray}
}

/** `key=value` and `key~=hex` lines; other lines are ignored. */
export function parseKeyValues(content: string): Map<string, string> {
  const values = new Map<string, string>()
  for (const line of content.split('\n')) {
    const match = /^([a-z_][a-z0-9_-]*)(~?)=(.*)$/.exec(line)
    if (match === null) continue
    const [, key = '', encoded, value = ''] = match
    values.set(key, encoded === '~' ? decodeField(`~${value}`) : value)
  }
  return values
}

export function optionalText(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value
}

export function optionalInt(value: string | undefined): number | undefined {
  if (value === undefined || !/^-?\d+$/.test(value.trim())) return undefined
  return Number(value.trim())
}

const PLAIN_FIELD = /^[A-Za-z0-9._/@%+=:,-]+$/

/** A header field as frame.sh's `enc` writes it: plain text, `~` + hex bytes, or `~` for ''. */
export function encodeField(text: string): string {
  if (text === '') return '~'
  return PLAIN_FIELD.test(text) ? text : `~${Buffer.from(text, 'utf8').toString('hex')}`
}

export interface SectionInput {
  kind: string
  tag?: string
  arg?: string
  content: string
}

/** One section, framed exactly as frame.sh's `sec_begin`/`sec_end` print it (the newline before END added). */
export function formatSection(boundary: string, section: SectionInput): string {
  assertBoundary(boundary)
  if (!/^[a-z][a-z0-9-]*$/.test(section.kind) || !/^[A-Za-z0-9._-]+$/.test(section.tag ?? '-')) {
    throw new FpmfixError('INTERNAL', `invalid section header: ${section.kind} ${section.tag ?? '-'}`)
  }
  const header = `${boundary} BEGIN ${section.kind} ${section.tag ?? '-'} ${encodeField(section.arg ?? '')}`
  return `${header}\n${section.content}\n${boundary} END ${section.kind} - -\n`
}

/** `key=value` lines, `key~=hex` for a value that spans lines: what frame.sh's `kv` writes. */
export function formatKeyValues(entries: Iterable<readonly [string, string | number]>): string {
  let text = ''
  for (const [key, raw] of entries) {
    if (!/^[a-z_][a-z0-9_-]*$/.test(key)) throw new FpmfixError('INTERNAL', `invalid record key ${JSON.stringify(key)}`)
    const value = String(raw)
    text += value.includes('\n') ? `${key}~=${Buffer.from(value, 'utf8').toString('hex')}\n` : `${key}=${value}\n`
  }
  return text
}
