import {existsSync, statSync} from 'node:fs'

import {Args, Flags} from '@oclif/core'

import {applyPlan} from '../cli/apply-plan.js'
import {BaseCommand} from '../cli/base-command.js'
import {connectionFlags} from '../cli/connection-flags.js'
import {planningFlags, policyFromFlags} from '../cli/planning-flags.js'
import {targetsFromCli, withHost} from '../cli/hosts.js'
import {canPrompt, promptLine} from '../cli/prompt.js'
import {FpmfixError} from '../errors.js'
import {ExitCode} from '../exit-codes.js'
import type {PlanDocument} from '../model/plan.js'
import {loadPlan} from '../plan/plan-file.js'
import {planHosts} from '../plan/plan-hosts.js'
import {applyExitCode, applyJson, renderApplyText} from '../render/apply-text.js'
import {renderPlanText} from '../render/plan-text.js'
import {progressMode} from '../run/host-runner.js'

export default class Apply extends BaseCommand {
  static override summary =
    'Apply exactly a reviewed plan: validated, ordered, health-checked, rolled back on any failure.'
  static override description = `With PLANFILE, applies exactly that saved plan. With targets (or none: this machine), plans first,
shows the plan, and asks for confirmation on a terminal (--auto-approve skips it; without a terminal it refuses).

On each host one transaction runs detached from the SSH session, so a dropped connection cannot leave it half done:
stale check (every fingerprinted file and state) → lock → backup → write (temp file + rename, symlinks kept) →
php-fpm -t / nginx -t → php-fpm start/restart/reload, wait for its socket/port → nginx reload → FastCGI and HTTP
probes → commit, or roll everything back.

Exit codes: 0 every host converged and verified; 3 a host failed; 4 rolled back; 5 rollback failed;
6 stale plan refused; 7 host locked; 8 no host reachable.`
  static override examples = [
    {description: 'Apply a reviewed plan', command: '<%= config.bin %> <%= command.id %> web.plan.json -i hosts.ini'},
    {description: 'Plan and apply this machine after confirming', command: '<%= config.bin %> <%= command.id %>'},
    {
      description: 'Unattended, with an explicit health check URL',
      command:
        '<%= config.bin %> <%= command.id %> -i hosts.ini web --auto-approve --probe-url http://127.0.0.1/health.php',
    },
    {
      description: 'Remove the lock of a transaction whose process is gone',
      command:
        '<%= config.bin %> <%= command.id %> web.plan.json -i hosts.ini --force-unlock 20261123T221500Z-ab12cd34',
    },
  ]
  static override strict = false
  static override args = {
    planOrTargets: Args.string({description: 'A plan file saved by `fpmfix plan -o`, or targets to plan and apply.'}),
  }
  static override flags = {
    ...connectionFlags,
    'auto-approve': Flags.boolean({description: 'Apply without asking (needed when stdin is not a terminal).'}),
    'probe-url': Flags.string({
      description: 'URL that must not answer 502/504 after the change (repeatable).',
      multiple: true,
    }),
    'force-unlock': Flags.string({
      description: 'Remove the host lock held by this transaction id when its process is gone.',
    }),
    ...planningFlags,
  }

  async run(): Promise<void> {
    const {argv, flags} = await this.parse(Apply)
    this.jsonMode = flags.json
    this.verboseMode = flags.verbose
    const words = argv as string[]
    const progress = progressMode(flags)
    let plan: PlanDocument
    if (words.length === 1 && existsSync(words[0]!) && statSync(words[0]!).isFile()) {
      plan = await loadPlan(words[0]!)
    } else {
      if (!flags['auto-approve'] && !canPrompt()) {
        throw new FpmfixError(
          'NOT_A_TTY',
          'apply without a plan file needs confirmation, and there is no terminal to ask',
          {
            hint: 'Review a saved plan (fpmfix plan -o PLANFILE) and apply that, or pass --auto-approve.',
          },
        )
      }
      const policy = await policyFromFlags(flags)
      const targets = await targetsFromCli(words, flags)
      plan = await planHosts(targets, {
        forks: flags.forks,
        progress,
        policy,
        open: (target, work) => withHost(target, flags, work),
      })
      process.stderr.write(renderPlanText(plan, {verbose: flags.verbose}))
      if (plan.summary.toChange === 0) {
        if (flags.json) this.printJson(applyJson([]))
        else this.out('Nothing to apply.')
        this.setExit(plan.summary.failed > 0 ? ExitCode.HOSTS_FAILED : ExitCode.OK)
        return
      }
      if (!flags['auto-approve']) {
        const answer = await promptLine(`Apply these changes to ${plan.summary.toChange} host(s)? Only 'yes' applies: `)
        if (answer.trim() !== 'yes') {
          process.stderr.write('Apply cancelled; nothing was changed.\n')
          this.setExit(ExitCode.ERROR)
          return
        }
      }
    }
    const outcomes = await applyPlan(plan, {
      flags,
      forks: flags.forks,
      progress,
      probeUrls: flags['probe-url'] ?? [],
      forceUnlock: flags['force-unlock'],
    })
    if (flags.json) this.printJson(applyJson(outcomes))
    else this.out(renderApplyText(outcomes))
    this.setExit(applyExitCode(outcomes))
  }
}
