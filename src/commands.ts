import Apply from './commands/apply.js'
import Facts from './commands/facts.js'
import Plan from './commands/plan.js'
import Rollback from './commands/rollback.js'
import Show from './commands/show.js'
import Verify from './commands/verify.js'

/** The explicit command map oclif loads (package.json oclif.commands). */
export const COMMANDS = {
  apply: Apply,
  facts: Facts,
  plan: Plan,
  rollback: Rollback,
  show: Show,
  verify: Verify,
}
