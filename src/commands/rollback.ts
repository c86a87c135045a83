import {Args, Flags} from '@oclif/core'

import {nothingToRollBack, previewRollback, rollbackLast, type RollbackPreview} from '../apply/index.js'
import {BaseCommand} from '../cli/base-command.js'
import {connectionFlags} from '../cli/connection-flags.js'
import {targetsFromCli, withHost} from '../cli/hosts.js'
import {canPrompt, promptLine} from '../cli/prompt.js'
import {FpmfixError} from '../errors.js'
import {applyExitCode, ExitCode, exitCodesHelp} from '../exit-codes.js'
import {applyHostExits, applyJson, renderApplyText} from '../render/apply-text.js'
import {type HostOutcome, progressMode, runHosts} from '../run/host-runner.js'

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
    const progress = progressMode(flags)
    const previewed = new Map<string, HostOutcome<RollbackPreview | undefined>>()
    if (!flags['auto-approve']) {
      if (!canPrompt())
        throw new FpmfixError('NOT_A_TTY', 'rollback needs confirmation and there is no terminal to ask', {
          hint: 'Pass --auto-approve.',
        })
      const previews = await runHosts(
        targets,
        (target) => withHost(target, flags, (transport) => previewRollback(transport, {host: target.name})),
        {forks: flags.forks, progress},
      )
      process.stderr.write(previews.map((preview) => `${describePreview(preview)}\n`).join(''))
      for (const preview of previews) previewed.set(preview.target.name, preview)
      const toRollBack = previews.filter((preview) => preview.ok && preview.value !== undefined)
      const question = `Roll back on ${toRollBack.map((preview) => preview.target.name).join(', ')}? Only 'yes' rolls back: `
      if (toRollBack.length > 0 && (await promptLine(question)).trim() !== 'yes') {
        process.stderr.write('Rollback cancelled; nothing was changed.\n')
        this.setExit(ExitCode.ERROR)
        return
      }
    }
    const outcomes = await runHosts(
      targets,
      async (target, step) => {
        // Only what was confirmed: a host whose journal could not be read, or had nothing, is not touched.
        const preview = previewed.get(target.name)
        if (preview?.ok === false) throw preview.error
        if (preview?.ok && preview.value === undefined) return nothingToRollBack()
        const expectTxid = preview?.ok ? preview.value?.txid : undefined
        return withHost(target, flags, (transport) =>
          rollbackLast(transport, {
            host: target.name,
            onStep: (event) => step(event.label),
            ...(expectTxid === undefined ? {} : {expectTxid}),
          }),
        )
      },
      {forks: flags.forks, progress},
    )
    const report = {outcomes}
    if (flags.json) this.printJson(applyJson(report))
    else this.out(renderApplyText(report))
    this.setExit(applyExitCode(applyHostExits(report)))
  }
}

/** What rolling back one host will do, said before asking. */
function describePreview(outcome: HostOutcome<RollbackPreview | undefined>): string {
  const name = outcome.target.name
  if (!outcome.ok) return `${name}: cannot read the journal: ${outcome.error.message}`
  const preview = outcome.value
  if (preview === undefined) return `${name}: no committed transaction to roll back`
  const by = preview.owner ? ` (applied by ${preview.owner})` : ''
  const lines = [`${name}: roll back transaction ${preview.txid}${by}`]
  lines.push(...preview.files.map((file) => `  restore ${file}`))
  lines.push(...preview.actions.map((action) => `  then ${action}`))
  return lines.join('\n')
}
