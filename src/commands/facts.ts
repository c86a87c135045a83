import {Args} from '@oclif/core'

import {BaseCommand} from '../cli/base-command.js'
import {connectionFlags} from '../cli/connection-flags.js'
import {targetsFromCli, withHost} from '../cli/hosts.js'
import {exitCodesHelp, factsExitCode} from '../exit-codes.js'
import {gather} from '../gather/index.js'
import {renderFactsJson, renderFactsText} from '../render/facts.js'
import {hostExit, progressMode, runHosts} from '../run/host-runner.js'

export default class Facts extends BaseCommand {
  static override summary = 'Show what fpmfix sees on each host: nginx, php-fpm, sockets, services, logs.'
  static override description = [
    'Gathers every host in one read-only round trip and prints the snapshot that plan works from. ' +
      'With no TARGET it looks at this machine (no SSH). Targets are inventory hosts or groups, `all`, or [user@]host[:port].',
    exitCodesHelp([0, 3, 8, 64, 130]),
  ].join('\n\n')
  static override usage = '<%= command.id %> [TARGETS...] [FLAGS]'
  static override examples = [
    {description: 'This machine', command: '<%= config.bin %> <%= command.id %>'},
    {
      description: 'Every host of an inventory group, 20 at a time',
      command: '<%= config.bin %> <%= command.id %> -i hosts.ini web -f 20',
    },
    {
      description: 'One host over SSH as deploy with sudo, full data',
      command: '<%= config.bin %> <%= command.id %> deploy@web1.example.com:2222 --become --json',
    },
  ]
  static override strict = false
  static override args = {
    targets: Args.string({description: 'Hosts, groups, `all`, or [user@]host[:port]. None: this machine.'}),
  }
  static override flags = {...connectionFlags}

  async run(): Promise<void> {
    const {argv, flags} = await this.parse(Facts)
    this.jsonMode = flags.json
    this.verboseMode = flags.verbose
    const targets = await targetsFromCli(argv as string[], flags)
    const outcomes = await runHosts(
      targets,
      (target, step) =>
        withHost(target, flags, (transport) => {
          step('gathering')
          return gather(transport)
        }),
      {forks: flags.forks, progress: progressMode(flags)},
    )
    if (flags.json) this.printJson(renderFactsJson(outcomes))
    else this.out(renderFactsText(outcomes, {verbose: flags.verbose}))
    this.setExit(factsExitCode(outcomes.map(hostExit)))
  }
}
