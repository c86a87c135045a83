import {Args, Flags} from '@oclif/core'

import {rollbackLast} from '../apply/index.js'
import {BaseCommand} from '../cli/base-command.js'
import {connectionFlags} from '../cli/connection-flags.js'
import {targetsFromCli, withHost} from '../cli/hosts.js'
import {canPrompt, promptLine} from '../cli/prompt.js'
import {FpmfixError} from '../errors.js'
import {applyExitCode, ExitCode, exitCodesHelp} from '../exit-codes.js'
import {applyHostExits, applyJson, renderApplyText} from '../render/apply-text.js'
import {progressMode, runHosts} from '../run/host-runner.js'

export default class Rollback extends BaseCommand {
  static override summary = "Undo each host's last applied change from its journal, validated and in order."
  static override description = exitCodesHelp([0, 3, 4, 5, 7, 8, 130])
  static override usage = '<%= command.id %> [TARGETS...] [FLAGS]'
  static override examples = [
    {
      description: 'Undo the last apply on one host',
      command: '<%= config.bin %> <%= command.id %> -i hosts.ini web1 --auto-approve',
    },
  ]
  static override strict = false
  static override args = {
    targets: Args.string({description: 'Hosts, groups, `all`, or [user@]host[:port]. None: this machine.'}),
  }
  static override flags = {
    ...connectionFlags,
    'auto-approve': Flags.boolean({description: 'Roll back without asking (needed when stdin is not a terminal).'}),
  }

  async run(): Promise<void> {
    const {argv, flags} = await this.parse(Rollback)
    this.jsonMode = flags.json
    this.verboseMode = flags.verbose
    const targets = await targetsFromCli(argv as string[], flags)
    if (!flags['auto-approve']) {
      if (!canPrompt())
        throw new FpmfixError('NOT_A_TTY', 'rollback needs confirmation and there is no terminal to ask', {
          hint: 'Pass --auto-approve.',
        })
      const answer = await promptLine(
        `Roll back the last change on ${targets.map((target) => target.name).join(', ')}? Only 'yes' rolls back: `,
      )
      if (answer.trim() !== 'yes') {
        process.stderr.write('Rollback cancelled; nothing was changed.\n')
        this.setExit(ExitCode.ERROR)
        return
      }
    }
    const outcomes = await runHosts(
      targets,
      (target, step) =>
        withHost(target, flags, (transport) =>
          rollbackLast(transport, {host: target.name, onStep: (event) => step(event.label)}),
        ),
      {forks: flags.forks, progress: progressMode(flags)},
    )
    const report = {outcomes}
    if (flags.json) this.printJson(applyJson(report))
    else this.out(renderApplyText(report))
    this.setExit(applyExitCode(applyHostExits(report)))
  }
}
