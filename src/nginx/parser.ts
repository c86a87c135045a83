import {NginxLexer, type PunctToken} from './lexer.js'
import type {NginxArg, NginxDirective} from './types.js'

const RAW_BLOCK = /_by_lua_block$/

/**
 * Parses one file on its own (includes are left as `include` directives).
 * Throws FpmfixError('GATHER_PARSE') naming file:line:column on bad syntax.
 */
export function parseNginxFile(file: string, text: string): NginxDirective[] {
  const lexer = new NginxLexer(file, text)
  return parseBlock(lexer, file, undefined).directives
}

function parseBlock(
  lexer: NginxLexer,
  file: string,
  opener: PunctToken | undefined,
): {directives: NginxDirective[]; close: number} {
  const directives: NginxDirective[] = []
  for (;;) {
    const token = lexer.next()
    if (token.kind === 'eof') {
      if (opener)
        throw lexer.error(opener.line, opener.column, 'unexpected end of file, expected "}" to close this block')
      return {directives, close: token.offset}
    }
    if (token.kind === '}') {
      if (!opener)
        throw lexer.error(token.line, token.column, 'unexpected "}", expected a directive (no block is open)')
      return {directives, close: token.offset}
    }
    if (token.kind !== 'word') {
      throw lexer.error(token.line, token.column, `unexpected "${token.kind}", expected a directive name`)
    }
    directives.push(parseDirective(lexer, file, token.arg))
  }
}

function parseDirective(lexer: NginxLexer, file: string, nameToken: NginxArg): NginxDirective {
  const argTokens: NginxArg[] = []
  for (;;) {
    const token = lexer.next()
    if (token.kind === 'word') {
      argTokens.push(token.arg)
      continue
    }
    const base = {
      name: nameToken.value,
      args: argTokens.map((arg) => arg.value),
      nameToken,
      argTokens,
      file,
      line: nameToken.line,
      column: nameToken.column,
      start: nameToken.start,
    }
    if (token.kind === ';') return {...base, end: token.offset + 1}
    if (token.kind === '{') {
      if (RAW_BLOCK.test(nameToken.value)) {
        const {body, close} = lexer.readRawBlock()
        return {...base, end: close + 1, children: [], blockOpen: token.offset, blockClose: close, rawBody: body}
      }
      const {directives, close} = parseBlock(lexer, file, token)
      return {...base, end: close + 1, children: directives, blockOpen: token.offset, blockClose: close}
    }
    const found = token.kind === 'eof' ? 'end of file' : '"}"'
    throw lexer.error(token.line, token.column, `unexpected ${found}, expected ";" or "{" after "${nameToken.value}"`)
  }
}
