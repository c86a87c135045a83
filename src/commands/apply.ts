import {Args, Flags, type Interfaces} from '@oclif/core'

import {applyPlan, type ApplyPlanOptions} from '../cli/apply-plan.js'
import {BaseCommand} from '../cli/base-command.js'
import {connectionFlags} from '../cli/connection-flags.js'
import {targetsFromCli, withHost} from '../cli/hosts.js'
import {loadFlags, loadFromFlags} from '../cli/load-flags.js'
import {planTargets, rejectTargetsWithPlan} from '../cli/plan-targets.js'
import {planningFlags, policyFromFlags} from '../cli/planning-flags.js'
import {canPrompt, promptLine} from '../cli/prompt.js'
import {FpmfixError, type ErrorCode} from '../errors.js'
import {applyExitCode, ExitCode, exitCodesHelp} from '../exit-codes.js'
import {loadPlan, looksLikePlanFile} from '../plan/plan-file.js'
import {planHosts} from '../plan/plan-hosts.js'
import {applyHostExits, applyJson, renderApplyText, type ApplyOutcome, type ApplyReport} from '../render/apply-text.js'
import {renderPlanText} from '../render/plan-text.js'
import {paintErr} from '../render/style.js'
import {parseSerial} from '../rollout/batches.js'
import {parseFailPercentage} from '../rollout/decision.js'
import {progressMode, type RunHostsOptions} from '../run/host-runner.js'

export default class Apply extends BaseCommand {
  static override summary = 'Apply a reviewed plan: validated, ordered, probed, and rolled back on failure.'
  static override description = [
    'With PLANFILE, applies exactly that saved plan to the hosts it was made on, reached as the plan recorded ' +
      '(address, port, user, jump hosts, key and known_hosts files): no inventory or other flag is needed. ' +
      'Connection flags given here override the recorded values (each override is noted on stderr); ' +
      '-l/--limit applies only some of the plan’s hosts and reports the others as skipped. ' +
      'Each host must present the SSH host key it presented when planned, or it is refused before logging in.',
    'With targets (or none: this machine), plans first, shows the plan, and asks for confirmation on a terminal ' +
      '(--auto-approve skips it; without a terminal it refuses).',
    'On each host one transaction runs detached from the SSH session, so a dropped connection or Ctrl-C cannot leave ' +
      'it half done: stale check (every fingerprinted file and state) → lock → backup → write (temp file + rename, ' +
      'symlinks kept) → php-fpm -t / nginx -t → php-fpm start/restart/reload, wait for its socket/port → nginx reload ' +
      '→ FastCGI and HTTP probes → commit, or roll everything back.',
    'With --verify, each host that committed is retested under load as `fpmfix verify` does (the plan’s probe ' +
      'routes, or --url); a retest that does not pass rolls the change back. --serial applies the hosts in batches, ' +
      'in plan order: a batch starts only once every host of the previous one has ended, and only while the failed ' +
      'share of the hosts attempted so far is within --max-fail-percentage (default with --serial: 0, the first ' +
      'failure stops the rollout). Hosts a stopped rollout did not start are skipped, never contacted.',
    exitCodesHelp([0, 3, 4, 5, 6, 7, 8, 10, 12, 130]),
  ].join('\n\n')
  static override usage = ['<%= command.id %> PLANFILE [-l PATTERN] [FLAGS]', '<%= command.id %> [TARGETS...] [FLAGS]']
  static override examples = [
    {
      description: 'Apply a reviewed plan, reaching its hosts as they were planned',
      command: '<%= config.bin %> <%= command.id %> web.plan.json',
    },
    {description: 'Apply only web1 of the plan', command: '<%= config.bin %> <%= command.id %> web.plan.json -l web1'},
    {description: 'Plan and apply this machine after confirming', command: '<%= config.bin %> <%= command.id %>'},
    {
      description: 'Unattended, with an explicit health check URL',
      command:
        '<%= config.bin %> <%= command.id %> -i hosts.ini web --auto-approve --probe-url http://127.0.0.1/health.php',
    },
    {
      description: 'One canary host, then a quarter of the fleet at a time, each retested under load before the next',
      command: '<%= config.bin %> <%= command.id %> web.plan.json --serial 1,25% --verify --duration 30',
    },
    {
      description: 'Remove the lock of a transaction whose process is gone',
      command: '<%= config.bin %> <%= command.id %> web.plan.json --force-unlock 20261123T221500Z-ab12cd34',
    },
  ]
  static override strict = false
  static override args = {
    'planfile|targets': Args.string({
      description: 'A plan file saved by `fpmfix plan -o`, or targets to plan and apply.',
    }),
  }
  static override flags = {
    ...connectionFlags,
    'auto-approve': Flags.boolean({description: 'Apply without asking (needed when stdin is not a terminal).'}),
    'probe-url': Flags.string({
      description:
        "URL that must not answer 502/504 after nginx's reload and after the change, instead of the plan's (repeatable).",
      multiple: true,
    }),
    'force-unlock': Flags.string({
      description: 'Remove the host lock held by this transaction id when its process is gone.',
    }),
    serial: Flags.string({
      description:
        'Apply in batches of N hosts, N% of them, or a list (1,25%,100%: the last value repeats), in plan order; ' +
        'a batch starts when the previous one has ended within --max-fail-percentage.',
      helpGroup: 'ROLLOUT',
    }),
    'max-fail-percentage': Flags.string({
      description:
        'Stop starting hosts once more than this share of the hosts attempted so far failed [default with --serial: 0].',
      helpGroup: 'ROLLOUT',
    }),
    verify: Flags.boolean({
      description: 'Retest each host under load once it committed (as fpmfix verify); a failed retest rolls it back.',
      helpGroup: 'ROLLOUT',
    }),
    ...loadFlags({
      routesDefault: 'the plan’s HTTP probe routes',
      helpGroup: 'RETEST (--verify)',
      dependsOn: ['verify'],
    }),
    ...planningFlags,
  }

  async run(): Promise<void> {
    const {argv, flags} = await this.parse(Apply)
    this.jsonMode = flags.json
    this.verboseMode = flags.verbose
    const [first, ...rest] = argv as string[]
    const progress = progressMode(flags)
    let report: ApplyReport
    if (first !== undefined && looksLikePlanFile(first)) {
      rejectTargetsWithPlan(first, rest)
      const options = this.applyOptions(flags, progress)
      const plan = await loadPlan(first)
      const {targets, skipped, overrides} = await planTargets(plan, flags)
      if (!flags.quiet) for (const line of overrides) process.stderr.write(`${paintErr('yellow', 'note:')} ${line}\n`)
      report = {plan, skipped, ...(await applyPlan(plan, targets, options))}
    } else {
      const planned = await this.planFirst(argv as string[], flags, progress)
      if (planned === undefined) return
      report = planned
    }
    if (flags.json) this.printJson(applyJson(report))
    else this.out(renderApplyText(report))
    this.setExit(applyExitCode(applyHostExits(report)))
  }

  /** What apply does on each host, from the flags; bad --serial or --url values are refused before any host is touched. */
  private applyOptions(flags: ApplyFlags, progress: RunHostsOptions['progress']): ApplyPlanOptions {
    const given = flags['max-fail-percentage']
    const maxFailPercentage =
      given === undefined ? (flags.serial === undefined ? undefined : 0) : parseFailPercentage(given)
    const {requests, load, from} = loadFromFlags(flags)
    return {
      flags,
      forks: flags.forks,
      progress,
      probeUrls: flags['probe-url'] ?? [],
      forceUnlock: flags['force-unlock'],
      rollout:
        maxFailPercentage === undefined
          ? undefined
          : {
              steps: flags.serial === undefined ? [] : parseSerial(flags.serial),
              policy: {...(flags.serial === undefined ? {} : {serial: flags.serial}), maxFailPercentage},
            },
      retest: flags.verify ? {requests, load, from} : undefined,
    }
  }

  /** apply TARGET…: plan, show the plan, ask, then apply it; undefined when the answer was no. */
  private async planFirst(
    words: string[],
    flags: ApplyFlags,
    progress: RunHostsOptions['progress'],
  ): Promise<ApplyReport | undefined> {
    if (!flags['auto-approve'] && !canPrompt()) {
      throw new FpmfixError(
        'NOT_A_TTY',
        'apply without a plan file needs confirmation, and there is no terminal to ask',
        {
          hint: 'Review a saved plan (fpmfix plan -o PLANFILE) and apply that, or pass --auto-approve.',
        },
      )
    }
    const options = this.applyOptions(flags, progress)
    const policy = await policyFromFlags(flags)
    const targets = await targetsFromCli(words, flags)
    const plan = await planHosts(targets, {
      forks: flags.forks,
      progress,
      policy,
      open: (target, work) => withHost(target, flags, work),
    })
    process.stderr.write(renderPlanText(plan, {verbose: flags.verbose}))
    if (plan.summary.toChange > 0 && !flags['auto-approve']) {
      const answer = await promptLine(`Apply these changes to ${plan.summary.toChange} host(s)? Only 'yes' applies: `)
      if (answer.trim() !== 'yes') {
        process.stderr.write('Apply cancelled; nothing was changed.\n')
        this.setExit(ExitCode.ERROR)
        return undefined
      }
    }
    const byName = new Map(plan.hosts.map((host) => [host.name, host]))
    const planned = targets.filter((target) => byName.get(target.name)?.status !== 'failed')
    const applied = await applyPlan(plan, planned, options)
    const failures: ApplyOutcome[] = targets.flatMap((target) => {
      const error = byName.get(target.name)?.error
      if (byName.get(target.name)?.status !== 'failed' || error === undefined) return []
      const failure = new FpmfixError(error.code as ErrorCode, error.message, {
        host: target.name,
        ...(error.hint === undefined ? {} : {hint: error.hint}),
      })
      return [{target, ok: false as const, error: failure, durationMs: 0}]
    })
    return {plan, ...applied, outcomes: [...applied.outcomes, ...failures]}
  }
}

type ApplyFlags = Interfaces.InferredFlags<typeof Apply.flags> & {json: boolean; quiet: boolean; verbose: boolean}
