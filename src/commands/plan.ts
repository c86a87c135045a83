import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../cli/base-command.js'
import {connectionFlags} from '../cli/connection-flags.js'
import {planningFlags, policyFromFlags} from '../cli/planning-flags.js'
import {targetsFromCli, withHost} from '../cli/hosts.js'
import {exitCodesHelp, planExitCode} from '../exit-codes.js'
import {planHosts} from '../plan/plan-hosts.js'
import {savePlan} from '../plan/plan-file.js'
import {planJson, renderPlanText} from '../render/plan-text.js'
import {progressMode} from '../run/host-runner.js'

export default class Plan extends BaseCommand {
  static override summary = 'Diagnose nginx → php-fpm 502s on each host and propose the minimal fix.'
  static override description = [
    'Gathers each host read-only, names every cause of 502s it can prove (with log, stat and config evidence), ' +
      'and shows the smallest config diff and service actions that fix them. Nothing on the host changes. ' +
      'Healthy hosts take one line each (--verbose shows them in full).',
    'Save the plan with -o and apply exactly that plan with `fpmfix apply PLANFILE`: the plan records how each host ' +
      'was reached (address, port, user, jump hosts, key and known_hosts files, its SSH host key), so apply needs no ' +
      'other flag, and refuses a host that presents another host key.',
    'With --policy FILE stating a desired state (plans/upgrade-php.ini, plans/capacity.ini), every way a host ' +
      'differs from it is listed as drift (what, where, wanted, found, policy line) and fixed by the same plan.',
    exitCodesHelp([0, 2, 9, 3, 8, 64, 65, 130]),
  ].join('\n\n')
  static override usage = '<%= command.id %> [TARGETS...] [-i INVENTORY] [-o PLANFILE] [FLAGS]'
  static override examples = [
    {description: 'Diagnose this machine', command: '<%= config.bin %> <%= command.id %>'},
    {
      description: 'Plan a group from an inventory and save the plan for review',
      command: '<%= config.bin %> <%= command.id %> -i hosts.ini web -o web.plan.json',
    },
    {
      description: 'Drift check in automation: exit 2 when anything would change, 9 when a critical finding has no fix',
      command: '<%= config.bin %> <%= command.id %> -i hosts.ini all --detailed-exitcode --json > plan.json',
    },
    {
      description: 'Move every site to PHP 8.2 and retire the other versions (review, then apply the saved plan)',
      command: '<%= config.bin %> <%= command.id %> -i hosts.ini web --policy plans/upgrade-php.ini -o move.plan.json',
    },
  ]
  static override strict = false
  static override args = {
    targets: Args.string({description: 'Hosts, groups, `all`, or [user@]host[:port]. None: this machine.'}),
  }
  static override flags = {
    ...connectionFlags,
    out: Flags.string({
      char: 'o',
      description: 'Save the plan (edits, actions, fingerprints) to this file for `apply`.',
    }),
    'detailed-exitcode': Flags.boolean({
      description:
        'Exit 2 when changes or actions are pending or a host differs from the policy, ' +
        '9 when a critical finding is left unfixed, 0 when neither.',
    }),
    ...planningFlags,
  }

  async run(): Promise<void> {
    const {argv, flags} = await this.parse(Plan)
    this.jsonMode = flags.json
    this.verboseMode = flags.verbose
    const policy = await policyFromFlags(flags)
    const targets = await targetsFromCli(argv as string[], flags)
    const plan = await planHosts(targets, {
      forks: flags.forks,
      progress: progressMode(flags),
      policy,
      open: (target, work) => withHost(target, flags, work),
    })
    if (flags.out !== undefined) await savePlan(flags.out, plan)
    if (flags.json) this.printJson(planJson(plan))
    else this.out(renderPlanText(plan, {verbose: flags.verbose}))
    if (flags.out !== undefined && !flags.json) process.stderr.write(`Plan saved to ${flags.out}\n`)
    this.setExit(
      planExitCode({
        hosts: plan.hosts.map((host) => ({status: host.status, errorCode: host.error?.code})),
        criticalUnfixed: plan.summary.criticalUnfixed.length,
        detailedExitcode: flags['detailed-exitcode'],
      }),
    )
  }
}
