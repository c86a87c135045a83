import {Args} from '@oclif/core'

import {BaseCommand} from '../cli/base-command.js'
import {connectionFlags} from '../cli/connection-flags.js'
import {targetsFromCli, withHost} from '../cli/hosts.js'
import {loadFlags, loadFromFlags} from '../cli/load-flags.js'
import {exitCodesHelp, verifyExitCode} from '../exit-codes.js'
import {progressMode, runHosts} from '../run/host-runner.js'
import {verifyHostExit} from '../verify/report.js'
import {renderVerifyText, verifyJson} from '../render/verify-text.js'
import {verifyHost} from '../verify/verify-host.js'

export default class Verify extends BaseCommand {
  static override summary =
    "Retest each host's PHP routes under concurrent load: every request must get a non-5xx answer."
  static override description = [
    'Sends real concurrent HTTP requests (keep-alive GETs, as wrk does) to each PHP route of each host and reports ' +
      'per route: requests, answers by status, 502/504s, connection errors, timeouts, p50/p95/p99 latency and ' +
      "answered requests per second. Routes are the host's plain-HTTP nginx server blocks that pass to PHP-FPM " +
      "(found by a read-only gather, addressed as apply's probe does), or the --url ones.",
    "The load comes from the host itself by default: over SSH the host's PHP CLI runs a small load program, so the " +
      "requests start on the host and only the figures travel back (the host's HTTP port need not be reachable from " +
      'here). --from-here sends them from this machine instead. Either way every connection goes to the host’s own ' +
      'addresses (its loopback, its listen address, or its address from here), with the server block’s Host header.',
    exitCodesHelp([0, 11, 3, 8, 64, 130]),
  ].join('\n\n')
  static override usage =
    '<%= command.id %> [TARGETS...] [--url PATH|URL]... [-n REQUESTS] [-d SECONDS] [-c CONNECTIONS] [FLAGS]'
  static override examples = [
    {description: 'This machine, 10 s per route, 10 connections', command: '<%= config.bin %> <%= command.id %>'},
    {
      description: 'Every web host after a fix, 2000 requests per route, 50 at a time',
      command: '<%= config.bin %> <%= command.id %> -i hosts.ini web --requests 2000 -c 50',
    },
    {
      description: 'A named route on one host, from this machine, as JSON',
      command:
        '<%= config.bin %> <%= command.id %> deploy@web1 --url http://shop.example.com/cart.php --from-here --json',
    },
  ]
  static override strict = false
  static override args = {
    targets: Args.string({description: 'Hosts, groups, `all`, or [user@]host[:port]. None: this machine.'}),
  }
  static override flags = {
    ...connectionFlags,
    ...loadFlags({routesDefault: 'every PHP server block', helpGroup: 'LOAD'}),
  }

  async run(): Promise<void> {
    const {argv, flags} = await this.parse(Verify)
    this.jsonMode = flags.json
    this.verboseMode = flags.verbose
    const {requests, load, from} = loadFromFlags(flags)
    const targets = await targetsFromCli(argv as string[], flags)
    const progress = progressMode(flags)
    const outcomes = await runHosts(
      targets,
      (target, step) =>
        withHost(target, flags, (transport) =>
          verifyHost(transport, target, requests, {
            load,
            from,
            // Plain lines from hosts running side by side need the host's name on each.
            step: progress === 'lines' ? (text) => step(`${target.name}: ${text}`) : step,
          }),
        ),
      {forks: flags.forks, progress},
    )
    if (flags.json) this.printJson(verifyJson(outcomes))
    else this.out(renderVerifyText(outcomes))
    this.setExit(verifyExitCode(outcomes.map(verifyHostExit)))
  }
}
