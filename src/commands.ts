import Facts from './commands/facts.js'
import Plan from './commands/plan.js'
import Show from './commands/show.js'

/** The explicit command map oclif loads (package.json oclif.commands). */
export const COMMANDS = {
  facts: Facts,
  plan: Plan,
  show: Show,
}
