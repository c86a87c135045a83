/**
 * How long `fpmfix facts` (or `fpmfix plan`) takes on N lab hosts over real SSH, against the
 * floor of doing the same remote read with one plain OpenSSH client per host.
 *
 *   npx tsx bench/gather.ts [--hosts 10] [--rounds 3] [--skip-build] [--command facts|plan]
 *
 * With --command plan every other host first gets a real 502 (nginx pointed at a php8.1
 * socket after an upgrade to 8.2), so diagnosis, diffs and state fingerprints all run.
 *
 * Measures per round (order rotated between rounds, one unmeasured warm-up round first):
 *   fpmfix     node bin/run.js facts -i INV all --known-hosts KH --json -f N   (end to end, peak RSS)
 *   raw ssh    ssh … root@127.0.0.1 'sh -s' < gather script, all hosts in parallel
 *   in-process connect + gather for all hosts in one node process (no CLI), see in-process-gather.ts
 *   startup    node bin/run.js --version
 */
import {execFile} from 'node:child_process'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {parseArgs, promisify} from 'node:util'
import {buildGatherScript, parseGatherOutput} from '../src/gather/index.js'
import {newBoundary} from '../src/protocol/boundary.js'
import {type Lab, reloadNginx, startLab} from '../test/lab/lab/index.js'
import {canMeasurePeakRss, describeSeries, median, type Series, timedSpawn} from './measure.js'

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const CLI = path.join(REPO_ROOT, 'bin', 'run.js')
const IN_PROCESS = path.join(REPO_ROOT, 'bench', 'in-process-gather.ts')

interface Options {
  hosts: number
  rounds: number
  build: boolean
  command: 'facts' | 'plan'
}

interface RoundFigures {
  cliMs: number
  cliRssKb?: number
  /** durationMs of each host as the CLI reported it. */
  cliHostMs: number[]
  sshMs: number
  inProcessMs: number
  inProcessRssKb: number
  startupMs: number
}

function readOptions(): Options {
  const {values} = parseArgs({
    options: {
      hosts: {type: 'string', default: '10'},
      rounds: {type: 'string', default: '3'},
      'skip-build': {type: 'boolean', default: false},
      command: {type: 'string', default: 'facts'},
    },
  })
  const command = values.command
  if (command !== 'facts' && command !== 'plan') throw new Error(`--command must be facts or plan, not ${command}`)
  const hosts = Number(values.hosts)
  const rounds = Number(values.rounds)
  if (!Number.isInteger(hosts) || hosts < 1 || hosts > 64)
    throw new Error(`--hosts must be an integer from 1 to 64, not ${values.hosts}`)
  if (!Number.isInteger(rounds) || rounds < 1)
    throw new Error(`--rounds must be a positive integer, not ${values.rounds}`)
  return {hosts, rounds, build: !values['skip-build'], command}
}

const cliEnv: NodeJS.ProcessEnv = {...process.env, NO_COLOR: '1', SSH_AUTH_SOCK: undefined}

async function runCli(
  lab: Lab,
  command: Options['command'],
): Promise<Pick<RoundFigures, 'cliMs' | 'cliRssKb' | 'cliHostMs'>> {
  const args = [
    CLI,
    command,
    '-i',
    lab.inventoryPath,
    'all',
    '--known-hosts',
    lab.knownHostsPath,
    '--json',
    '-f',
    String(lab.hosts.length),
  ]
  const run = await timedSpawn(process.execPath, args, {cwd: REPO_ROOT, env: cliEnv, peakRss: true})
  if (command === 'plan') {
    const document = JSON.parse(run.stdout) as {hosts: Array<{name: string; status: string}>}
    const broken = lab.hosts.filter((_, index) => index % 2 === 1).map((host) => host.name)
    const wrong = document.hosts.filter(
      (host) => host.status !== (broken.includes(host.name) ? 'changes' : 'unchanged'),
    )
    if (run.code !== 0 || wrong.length > 0)
      throw new Error(
        `fpmfix plan exited ${run.code}; wrong status: ${wrong.map((host) => `${host.name}=${host.status}`).join(', ')}\n${run.stderr}`,
      )
    return {cliMs: run.ms, cliRssKb: run.maxRssKb, cliHostMs: []}
  }
  const document = JSON.parse(run.stdout) as {
    hosts: Array<{name: string; status: string; durationMs: number; facts?: {hostname: string}}>
  }
  const wrong = document.hosts.filter((host) => host.status !== 'ok' || host.facts?.hostname !== host.name)
  if (run.code !== 0 || wrong.length > 0)
    throw new Error(
      `fpmfix facts exited ${run.code}; not gathered: ${wrong.map((host) => host.name).join(', ')}\n${run.stderr}`,
    )
  return {cliMs: run.ms, cliRssKb: run.maxRssKb, cliHostMs: document.hosts.map((host) => host.durationMs)}
}

/** The same script fpmfix sends, through OpenSSH, one client per host, all at once. */
async function runRawSsh(lab: Lab): Promise<number> {
  const jobs = lab.hosts.map((host) => ({host, boundary: newBoundary()}))
  const started = performance.now()
  const runs = await Promise.all(
    jobs.map(({host, boundary}) =>
      timedSpawn(
        'ssh',
        [
          '-F',
          '/dev/null',
          '-i',
          lab.clientKeyPath,
          '-o',
          'IdentitiesOnly=yes',
          '-o',
          `UserKnownHostsFile=${lab.knownHostsPath}`,
          '-o',
          'StrictHostKeyChecking=yes',
          '-o',
          'BatchMode=yes',
          '-o',
          'ControlMaster=no',
          '-o',
          'ControlPath=none',
          '-T',
          '-p',
          String(host.sshPort),
          'root@127.0.0.1',
          'sh -s',
        ],
        {stdin: buildGatherScript(boundary), env: cliEnv},
      ),
    ),
  )
  const ms = performance.now() - started
  // Checked after the clock stopped: every host really ran the whole script.
  for (const [index, run] of runs.entries()) {
    const {host, boundary} = jobs[index]!
    const snapshot = parseGatherOutput(run.stdout, boundary)
    if (snapshot.hostname !== host.name || !snapshot.complete) {
      throw new Error(
        `raw ssh to ${host.name} exited ${run.code} with an incomplete gather (hostname ${snapshot.hostname})\n${run.stderr}`,
      )
    }
  }
  return ms
}

async function runInProcess(lab: Lab): Promise<Pick<RoundFigures, 'inProcessMs' | 'inProcessRssKb'>> {
  const request = {
    hosts: lab.hosts.map((host) => ({name: host.name, port: host.sshPort})),
    privateKeyFile: lab.clientKeyPath,
    knownHostsFile: lab.knownHostsPath,
  }
  const run = await timedSpawn(process.execPath, ['--import', 'tsx', IN_PROCESS], {
    cwd: REPO_ROOT,
    env: cliEnv,
    stdin: JSON.stringify(request),
  })
  if (run.code !== 0) throw new Error(`in-process gather exited ${run.code}\n${run.stderr}`)
  const result = JSON.parse(run.stdout) as {ms: number; maxRssKb: number; hostnames: string[]}
  if (result.hostnames.join() !== lab.hosts.map((host) => host.name).join())
    throw new Error(`in-process gather saw ${result.hostnames.join()}`)
  return {inProcessMs: result.ms, inProcessRssKb: result.maxRssKb}
}

async function runStartup(): Promise<number> {
  const run = await timedSpawn(process.execPath, [CLI, '--version'], {cwd: REPO_ROOT, env: cliEnv})
  if (run.code !== 0) throw new Error(`fpmfix --version exited ${run.code}\n${run.stderr}`)
  return run.ms
}

async function round(lab: Lab, index: number, command: Options['command']): Promise<RoundFigures> {
  const figures: Partial<RoundFigures> = {}
  const steps: Array<() => Promise<void>> = [
    async () => void Object.assign(figures, await runCli(lab, command)),
    async () => void (figures.sshMs = await runRawSsh(lab)),
    async () => void Object.assign(figures, await runInProcess(lab)),
    async () => void (figures.startupMs = await runStartup()),
  ]
  // Rotate so no variant always runs first (on cold caches) or right after another.
  for (let step = 0; step < steps.length; step++) await steps[(step + index) % steps.length]!()
  return figures as RoundFigures
}

function report(options: Options, rounds: RoundFigures[], labStartMs: number): string {
  const series = (label: string, pick: (figures: RoundFigures) => number | undefined): Series => ({
    label,
    values: rounds.map(pick).filter((value): value is number => value !== undefined),
  })
  const cli = series(`fpmfix ${options.command} --json -f ${options.hosts}`, (figures) => figures.cliMs)
  const ssh = series(`raw ssh, ${options.hosts} clients in parallel`, (figures) => figures.sshMs)
  const inProcess = series('in-process connect + gather (no CLI)', (figures) => figures.inProcessMs)
  const startup = series('fpmfix --version (node + oclif startup)', (figures) => figures.startupMs)
  const hostMs = {
    label: 'per-host durationMs reported by fpmfix',
    values: rounds.flatMap((figures) => figures.cliHostMs),
  }
  const cliRss = series(`peak RSS, fpmfix ${options.command} process`, (figures) =>
    figures.cliRssKb === undefined ? undefined : figures.cliRssKb / 1024,
  )
  const inProcessRss = series('peak RSS, in-process gather (incl. tsx)', (figures) => figures.inProcessRssKb / 1024)
  const ratio = (a: Series, b: Series): string => (median(a.values) / median(b.values)).toFixed(2)
  return [
    `${options.command} benchmark: ${options.hosts} lab hosts over SSH on 127.0.0.1, ${options.rounds} measured rounds (+1 warm-up), medians`,
    `lab start: ${Math.round(labStartMs)} ms`,
    '',
    describeSeries(cli),
    describeSeries(ssh),
    describeSeries(inProcess),
    describeSeries(startup),
    ...(hostMs.values.length > 0 ? [describeSeries(hostMs)] : []),
    canMeasurePeakRss
      ? describeSeries(cliRss, 'MiB')
      : 'peak RSS, fpmfix facts process: n/a (/usr/bin/time not installed)',
    describeSeries(inProcessRss, 'MiB'),
    '',
    `ratio fpmfix ${options.command} / raw ssh: ${ratio(cli, ssh)}`,
    `ratio in-process / raw ssh:     ${ratio(inProcess, ssh)}`,
  ].join('\n')
}

async function main(): Promise<void> {
  const options = readOptions()
  if (options.build) {
    process.stderr.write('building (npm run build)…\n')
    await promisify(execFile)('npm', ['run', 'build'], {cwd: REPO_ROOT})
  }
  process.stderr.write(`starting a lab of ${options.hosts} hosts…\n`)
  const labStarted = performance.now()
  const lab = await startLab({hosts: options.hosts, namePrefix: 'bench'})
  const labStartMs = performance.now() - labStarted
  const stopOnSignal = (): void => void lab.stop().finally(() => process.exit(130))
  process.once('SIGINT', stopOnSignal)
  try {
    if (options.command === 'plan') {
      for (const host of lab.hosts.filter((_, index) => index % 2 === 1)) {
        await host.exec(`sed -i 's#php8.2-fpm.sock#php8.1-fpm.sock#' /etc/nginx/sites-available/lab`)
        await reloadNginx(host)
        if ((await host.http('/index.php')).status !== 502)
          throw new Error(`${host.name}: the injected fault did not produce a 502`)
      }
    }
    process.stderr.write('warm-up round…\n')
    await round(lab, 0, options.command)
    const rounds: RoundFigures[] = []
    for (let index = 1; index <= options.rounds; index++) {
      process.stderr.write(`round ${index}/${options.rounds}…\n`)
      rounds.push(await round(lab, index, options.command))
    }
    process.stdout.write(`${report(options, rounds, labStartMs)}\n`)
  } finally {
    process.off('SIGINT', stopOnSignal)
    await lab.stop()
  }
}

await main()
