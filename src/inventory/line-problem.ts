import {FpmfixError} from '../errors.js'

/**
 * Something wrong with one inventory line. The line parsers throw it without knowing
 * where they are; parseInventory adds `source:line` and turns it into an FpmfixError.
 */
export class LineProblem extends Error {
  readonly hint: string | undefined

  constructor(message: string, hint?: string) {
    super(message)
    this.name = 'LineProblem'
    this.hint = hint
  }
}

/** The user-facing form: `source:line: what is wrong`, with a hint. */
export function inventorySyntaxError(source: string, line: number, what: string, hint?: string): FpmfixError {
  // Line 0: no line to point at (a dynamic inventory's JSON, a built-in group).
  return new FpmfixError('INVENTORY_SYNTAX', line > 0 ? `${source}:${line}: ${what}` : `${source}: ${what}`, {
    hint:
      hint ?? 'See https://docs.ansible.com/ansible/latest/inventory_guide/intro_inventory.html for the INI format.',
    details: {source, line},
  })
}
