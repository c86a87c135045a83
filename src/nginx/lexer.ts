import {FpmfixError} from '../errors.js'
import type {NginxArg} from './types.js'

export interface PunctToken {
  kind: ';' | '{' | '}' | 'eof'
  offset: number
  line: number
  column: number
}

export type NginxToken = {kind: 'word'; arg: NginxArg} | PunctToken

export function nginxParseError(file: string, line: number, column: number, message: string): FpmfixError {
  return new FpmfixError('GATHER_PARSE', `${file}:${line}:${column}: ${message}`, {
    hint: 'Check the file with `nginx -t`; fpmfix reads the configuration the way nginx does.',
    details: {file, line, column},
  })
}

const isSpace = (ch: string | undefined): boolean => ch === ' ' || ch === '\t' || ch === '\r' || ch === '\n'

/** nginx resolves these escapes in every word, quoted or not (ngx_conf_read_token). */
export function unescapeNginxWord(text: string): string {
  let out = ''
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!
    if (ch === '\\') {
      const next = text[i + 1]
      if (next === '"' || next === "'" || next === '\\') {
        out += next
        i++
        continue
      }
      const control = next === 't' ? '\t' : next === 'r' ? '\r' : next === 'n' ? '\n' : undefined
      if (control !== undefined) {
        out += control
        i++
        continue
      }
    }
    out += ch
  }
  return out
}

/** A tokenizer that follows nginx's own rules for quotes, escapes, `$var`/`${var}` and `#` comments. */
export class NginxLexer {
  private pos = 0
  private line = 1
  private lineStart = 0

  constructor(
    private readonly file: string,
    private readonly text: string,
  ) {}

  error(line: number, column: number, message: string): FpmfixError {
    return nginxParseError(this.file, line, column, message)
  }

  next(): NginxToken {
    this.skipSpaceAndComments()
    const offset = this.pos
    const line = this.line
    const column = offset - this.lineStart + 1
    const ch = this.text[offset]
    if (ch === undefined) return {kind: 'eof', offset, line, column}
    if (ch === ';' || ch === '{' || ch === '}') {
      this.pos++
      return {kind: ch, offset, line, column}
    }
    const end = ch === '"' || ch === "'" ? this.quotedEnd(offset, ch) : this.bareEnd(offset)
    const raw = this.text.slice(offset, end)
    const inner = ch === '"' || ch === "'" ? raw.slice(1, -1) : raw
    this.advanceTo(end)
    return {kind: 'word', arg: {value: unescapeNginxWord(inner), raw, start: offset, end, line, column}}
  }

  /**
   * Reads a block body that is not nginx syntax (Lua), from just after its `{`
   * to the matching `}`, skipping Lua strings and comments.
   */
  readRawBlock(): {body: string; close: number} {
    const startLine = this.line
    const startColumn = this.pos - this.lineStart + 1
    const text = this.text
    const bodyStart = this.pos
    let depth = 1
    let i = bodyStart
    while (i < text.length) {
      const ch = text[i]!
      if (ch === '-' && text[i + 1] === '-') {
        const long = longBracketAt(text, i + 2)
        i = long ? skipLongBracket(text, i + 2, long) : lineEnd(text, i)
        continue
      }
      const long = ch === '[' ? longBracketAt(text, i) : undefined
      if (long) {
        i = skipLongBracket(text, i, long)
        continue
      }
      if (ch === '"' || ch === "'") {
        i = skipLuaString(text, i)
        continue
      }
      if (ch === '{') depth++
      if (ch === '}' && --depth === 0) {
        this.advanceTo(i + 1)
        return {body: text.slice(bodyStart, i), close: i}
      }
      i++
    }
    throw this.error(startLine, startColumn, 'unexpected end of file inside a Lua block, expected "}"')
  }

  private skipSpaceAndComments(): void {
    const text = this.text
    let i = this.pos
    for (;;) {
      while (isSpace(text[i])) i++
      if (text[i] !== '#') break
      i = lineEnd(text, i)
    }
    this.advanceTo(i)
  }

  private quotedEnd(start: number, quote: string): number {
    const text = this.text
    let i = start + 1
    while (i < text.length) {
      const ch = text[i]
      if (ch === '\\') {
        i += 2
        continue
      }
      if (ch === quote) {
        const after = text[i + 1]
        if (after !== undefined && !isSpace(after) && after !== ';' && after !== '{' && after !== ')') {
          const {line, column} = this.positionOf(i + 1)
          throw this.error(line, column, `unexpected "${after}" after a quoted string, expected a space, ";" or "{"`)
        }
        return i + 1
      }
      i++
    }
    const {line, column} = this.positionOf(start)
    throw this.error(line, column, `unexpected end of file, expected the closing ${quote} of this string`)
  }

  private bareEnd(start: number): number {
    const text = this.text
    let i = start
    let variable = false
    while (i < text.length) {
      const ch = text[i]!
      if (ch === '{' && variable) {
        i++
        continue
      }
      variable = false
      if (ch === '\\') {
        i += 2
        continue
      }
      if (ch === '$') variable = true
      else if (isSpace(ch) || ch === ';' || ch === '{') break
      i++
    }
    return Math.min(i, text.length)
  }

  private positionOf(offset: number): {line: number; column: number} {
    let line = this.line
    let lineStart = this.lineStart
    for (let i = this.pos; i < offset; i++) {
      if (this.text[i] === '\n') {
        line++
        lineStart = i + 1
      }
    }
    return {line, column: offset - lineStart + 1}
  }

  private advanceTo(offset: number): void {
    for (let i = this.pos; i < offset; i++) {
      if (this.text[i] === '\n') {
        this.line++
        this.lineStart = i + 1
      }
    }
    this.pos = offset
  }
}

function lineEnd(text: string, from: number): number {
  const newline = text.indexOf('\n', from)
  return newline === -1 ? text.length : newline
}

/** `[[`, `[=[`, `[==[` … at `at`: returns the closing bracket, or undefined. */
function longBracketAt(text: string, at: number): string | undefined {
  const match = /^\[(=*)\[/.exec(text.slice(at, at + 64))
  return match ? `]${match[1]}]` : undefined
}

function skipLongBracket(text: string, at: number, close: string): number {
  const end = text.indexOf(close, at + close.length)
  return end === -1 ? text.length : end + close.length
}

function skipLuaString(text: string, at: number): number {
  const quote = text[at]
  let i = at + 1
  while (i < text.length && text[i] !== quote && text[i] !== '\n') i += text[i] === '\\' ? 2 : 1
  return i + 1
}
