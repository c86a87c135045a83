import type {NginxDirective} from './types.js'

/** The file's dominant line ending. */
export function detectEol(text: string): '\n' | '\r\n' {
  const crlf = text.split('\r\n').length - 1
  const lf = text.split('\n').length - 1 - crlf
  return crlf > lf ? '\r\n' : '\n'
}

export function lineStartOf(text: string, offset: number): number {
  return text.lastIndexOf('\n', offset - 1) + 1
}

/** Offset of the end of the line holding `offset`, before its `\r\n` or `\n`. */
export function lineContentEnd(text: string, offset: number): number {
  const newline = text.indexOf('\n', offset)
  if (newline === -1) return text.length
  return text[newline - 1] === '\r' && newline - 1 >= offset ? newline - 1 : newline
}

/** The line's text after `offset` holds nothing but spaces and maybe a `#` comment. */
export function restOfLineIsBlank(text: string, offset: number): boolean {
  const rest = text.slice(offset, lineContentEnd(text, offset)).trimStart()
  return rest === '' || rest.startsWith('#')
}

/** The whitespace before a directive when it starts its own line, else undefined. */
export function ownLineIndent(text: string, directive: NginxDirective): string | undefined {
  const before = text.slice(lineStartOf(text, directive.start), directive.start)
  return /^[ \t]*$/.test(before) ? before : undefined
}

/** The indentation step the file uses: the first block whose child starts its own line shows it. */
export function detectIndentUnit(text: string, directives: ReadonlyArray<NginxDirective>): string {
  for (const directive of directives) {
    const parentIndent = ownLineIndent(text, directive)
    for (const child of directive.children ?? []) {
      const childIndent = ownLineIndent(text, child)
      if (
        parentIndent !== undefined &&
        childIndent?.startsWith(parentIndent) &&
        childIndent.length > parentIndent.length
      ) {
        return childIndent.slice(parentIndent.length)
      }
    }
    const nested = directive.children && detectIndentUnit(text, directive.children)
    if (nested) return nested
  }
  return /^\t/m.test(text) ? '\t' : '    '
}

/**
 * The text that makes nginx read exactly `value`: bare when that is safe,
 * else double-quoted with `\` and `"` escaped (nginx unescapes both).
 */
export function encodeNginxArg(value: string): string {
  if (isSafeBare(value)) return value
  return `"${value.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`
}

function isSafeBare(value: string): boolean {
  if (value === '' || value.startsWith('#') || /[\s;'"]/.test(value)) return false
  if (/\\(["'\\trn]|$)/.test(value)) return false
  return !/[{}]/.test(value.replace(/\$\{\w+\}/g, ''))
}
