import {readFileSync} from 'node:fs'

import {FpmfixError} from '../errors.js'
import {shellQuote} from '../util/shell-quote.js'

/**
 * Programs that run on hosts are static files (POSIX sh, PHP) kept beside the TypeScript that
 * ships them; the build copies them into dist. Paths are relative to the source root
 * (`src/` here, `dist/` once built), e.g. `protocol/sh/frame.sh`.
 */
const SOURCE_ROOT = new URL('../', import.meta.url)
const cache = new Map<string, string>()

export function hostFile(relative: string): string {
  let text = cache.get(relative)
  if (text === undefined) {
    try {
      text = readFileSync(new URL(relative, SOURCE_ROOT), 'utf8')
    } catch (error) {
      throw new FpmfixError('INTERNAL', `host program file ${relative} is missing from this installation`, {
        hint: 'Reinstall fpmfix; a build copies src/**/*.sh and *.php into dist.',
        cause: error,
      })
    }
    cache.set(relative, text)
  }
  return text
}

const VARIABLE_NAME = /^[A-Z][A-Z0-9_]*$/

/**
 * One sh program from static files, preceded by the data it is fed as plain variable
 * assignments (every value single-quoted). Nothing else is generated.
 */
export function hostProgram(files: string[], variables: Record<string, string> = {}): string {
  const assignments = Object.entries(variables).map(([name, value]) => {
    if (!VARIABLE_NAME.test(name)) throw new FpmfixError('INTERNAL', `invalid host program variable name ${name}`)
    return `${name}=${shellQuote(value)}`
  })
  const body = files.map((file) => hostFile(file).replace(/^#!.*\n/, ''))
  return ['#!/bin/sh', ...assignments, ...body].join('\n')
}
