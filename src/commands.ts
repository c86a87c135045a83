import Facts from './commands/facts.js'

/** The explicit command map oclif loads (package.json oclif.commands). */
export const COMMANDS = {
  facts: Facts,
}
