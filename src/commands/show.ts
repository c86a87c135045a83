import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../cli/base-command.js'
import {loadPlan, planAgeHours} from '../plan/plan-file.js'
import {planJson, renderPlanText} from '../render/plan-text.js'
import {paintErr} from '../render/style.js'

export default class Show extends BaseCommand {
  static override summary = 'Show a saved plan: where each host is reached, findings, diffs, actions.'
  static override description =
    'Says where and as whom `fpmfix apply PLANFILE` will reach each host (address, port, user, jump hosts, key and ' +
    'known_hosts files, and the SSH host key it must present), then the findings, diffs and service actions. ' +
    'With --json, prints the plan document (the same shape as `plan --json`, with each host’s connection).'
  static override usage = '<%= command.id %> PLANFILE [--json]'
  static override examples = [
    {description: 'Review a plan before applying it', command: '<%= config.bin %> <%= command.id %> web.plan.json'},
    {description: 'The same plan as JSON', command: '<%= config.bin %> <%= command.id %> web.plan.json --json'},
  ]
  static override args = {
    planfile: Args.string({description: 'A plan saved by `fpmfix plan -o`.', required: true}),
  }
  static override flags = {
    'max-age': Flags.integer({description: 'Warn when the plan is older than this many hours.', default: 24, min: 0}),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Show)
    this.jsonMode = flags.json
    const plan = await loadPlan(args.planfile)
    const age = planAgeHours(plan)
    if (age > flags['max-age']) {
      const when = Number.isFinite(age) ? `${Math.round(age)} hours ago` : 'at an unknown time'
      process.stderr.write(
        `${paintErr('yellow', 'warning:')} this plan was made ${when} (${plan.createdAt}); ` +
          'hosts may have changed — apply re-checks every fingerprint before writing.\n',
      )
    }
    if (flags.json) this.printJson(planJson(plan))
    else this.out(renderPlanText(plan, {verbose: flags.verbose, connection: true}))
  }
}
