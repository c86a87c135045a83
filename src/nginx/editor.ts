import {FpmfixError} from '../errors.js'
import {
  detectEol,
  detectIndentUnit,
  encodeNginxArg,
  lineContentEnd,
  lineStartOf,
  ownLineIndent,
  restOfLineIsBlank,
} from './editor-text.js'
import {parseNginxFile} from './parser.js'
import type {NginxDirective} from './types.js'
import {walkNginx} from './walk.js'

/**
 * Names one directive of one file: by `offset` (its `start` in the parse tree),
 * or by `line` (plus `name` when a line holds several). `name`, when given, must match.
 */
export interface DirectiveLocator {
  file?: string
  offset?: number
  line?: number
  name?: string
}

/** The locator of a directive from a parse tree (assembled or per file). */
export function locatorOf(directive: NginxDirective): DirectiveLocator {
  return {file: directive.file, offset: directive.start, line: directive.line, name: directive.name}
}

/** Replaces a directive's arguments; unchanged arguments keep their original spelling. */
export function setDirectiveArgs(text: string, locator: DirectiveLocator, newArgs: ReadonlyArray<string>): string {
  const directive = locate(text, locator)
  const old = directive.argTokens
  const first = old[0]
  const last = old.at(-1)
  let result: string
  if (first && last && old.length === newArgs.length) {
    result = text
    for (let i = old.length - 1; i >= 0; i--) {
      const token = old[i]!
      if (token.value !== newArgs[i]) result = splice(result, token.start, token.end, encodeNginxArg(newArgs[i]!))
    }
  } else if (first && last) {
    const replacement = newArgs.length === 0 ? '' : newArgs.map(encodeNginxArg).join(' ')
    const from = newArgs.length === 0 ? directive.nameToken.end : first.start
    result = splice(text, from, last.end, replacement)
  } else {
    const added = newArgs.map((arg) => ` ${encodeNginxArg(arg)}`).join('')
    result = splice(text, directive.nameToken.end, directive.nameToken.end, added)
  }
  return checked(result, locator)
}

/**
 * Adds `name args;` inside a block (or at the file's top level when `block` is
 * undefined): after the last directive of the same name there, else first in the
 * block (last at top level), indented like its siblings, with the file's line ending.
 */
export function insertDirective(
  text: string,
  block: DirectiveLocator | undefined,
  name: string,
  args: ReadonlyArray<string>,
): string {
  const topLevel = parseNginxFile(block?.file ?? '(edited file)', text)
  const parent = block ? locate(text, block) : undefined
  if (parent && (!parent.children || parent.rawBody !== undefined)) {
    throw new FpmfixError(
      'INTERNAL',
      `${describe(block!)}: "${parent.name}" has no nginx block to insert "${name}" into`,
    )
  }
  const siblings = parent ? parent.children! : topLevel
  const statement = [name, ...args].map(encodeNginxArg).join(' ') + ';'
  const eol = detectEol(text)
  const anchor = siblings.findLast((sibling) => sibling.name === name) ?? (parent ? undefined : siblings.at(-1))
  const indent = siblingIndent(text, siblings, anchor) ?? childIndent(text, topLevel, parent)

  let result: string
  if (anchor) result = insertAfter(text, anchor.end, indent, statement, eol)
  else if (parent) result = insertAfter(text, parent.blockOpen! + 1, indent, statement, eol)
  else if (text === '' || text.endsWith('\n')) result = `${text}${statement}${eol}`
  else result = `${text}${eol}${statement}${eol}`
  return checked(result, block ?? {})
}

/** Removes a directive (a block directive with its block); its whole line when it is alone on it. */
export function removeDirective(text: string, locator: DirectiveLocator): string {
  const directive = locate(text, locator)
  const lineStart = lineStartOf(text, directive.start)
  const aloneOnLine = ownLineIndent(text, directive) !== undefined && restOfLineIsBlank(text, directive.end)
  if (aloneOnLine) {
    const newline = text.indexOf('\n', directive.end)
    if (newline !== -1) return checked(splice(text, lineStart, newline + 1, ''), locator)
    const previousEol = text.slice(0, lineStart).match(/\r?\n$/)?.[0] ?? ''
    return checked(splice(text, lineStart - previousEol.length, text.length, ''), locator)
  }
  const spacesAfter = /^[ \t]*/.exec(text.slice(directive.end))![0].length
  if (!restOfLineIsBlank(text, directive.end)) {
    return checked(splice(text, directive.start, directive.end + spacesAfter, ''), locator)
  }
  const spacesBefore = /[ \t]*$/.exec(text.slice(lineStart, directive.start))![0].length
  return checked(splice(text, directive.start - spacesBefore, directive.end, ''), locator)
}

function insertAfter(text: string, offset: number, indent: string, statement: string, eol: string): string {
  if (!restOfLineIsBlank(text, offset)) return splice(text, offset, offset, ` ${statement}`)
  const at = lineContentEnd(text, offset)
  return splice(text, at, at, `${eol}${indent}${statement}`)
}

function siblingIndent(
  text: string,
  siblings: ReadonlyArray<NginxDirective>,
  anchor: NginxDirective | undefined,
): string | undefined {
  const candidates = anchor ? [anchor, ...siblings] : siblings
  for (const sibling of candidates) {
    const indent = ownLineIndent(text, sibling)
    if (indent !== undefined) return indent
  }
  return undefined
}

function childIndent(
  text: string,
  topLevel: ReadonlyArray<NginxDirective>,
  parent: NginxDirective | undefined,
): string {
  if (!parent) return ''
  const parentIndent = /^[ \t]*/.exec(text.slice(lineStartOf(text, parent.start)))![0]
  return parentIndent + detectIndentUnit(text, topLevel)
}

function locate(text: string, locator: DirectiveLocator): NginxDirective {
  const matches: NginxDirective[] = []
  walkNginx(parseNginxFile(locator.file ?? '(edited file)', text), (directive) => {
    const atOffset = locator.offset === undefined || directive.start === locator.offset
    const atLine = locator.line === undefined || directive.line === locator.line
    const named = locator.name === undefined || directive.name === locator.name
    if (atOffset && atLine && named) matches.push(directive)
  })
  if (locator.offset === undefined && locator.line === undefined) {
    throw new FpmfixError('INTERNAL', `${describe(locator)}: a directive locator needs an offset or a line`)
  }
  const [match] = matches
  if (!match || matches.length > 1) {
    const problem = matches.length > 1 ? `${matches.length} directives match` : 'no such directive'
    throw new FpmfixError(
      'PLAN_STALE',
      `${describe(locator)}: ${problem}; the file is not the text the edit was planned on`,
      {
        hint: 'Run `fpmfix plan` again to plan against the current files.',
      },
    )
  }
  return match
}

function describe(locator: DirectiveLocator): string {
  const where = [
    locator.line === undefined ? undefined : `line ${locator.line}`,
    locator.offset === undefined ? undefined : `offset ${locator.offset}`,
  ].filter(Boolean)
  return `${locator.file ?? '(edited file)'} ${locator.name ?? 'directive'} at ${where.join(', ')}`
}

function splice(text: string, from: number, to: number, insert: string): string {
  return text.slice(0, from) + insert + text.slice(to)
}

/** An edit must leave a file nginx can still read; anything else is a bug here, never a user error. */
function checked(result: string, locator: DirectiveLocator): string {
  try {
    parseNginxFile(locator.file ?? '(edited file)', result)
  } catch (error) {
    throw new FpmfixError('INTERNAL', `editing ${describe(locator)} would leave text nginx cannot parse`, {
      cause: error,
    })
  }
  return result
}
