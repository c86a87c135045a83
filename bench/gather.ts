/**
 * What reading hosts costs, against what a user would otherwise run, measured in one run on lab
 * hosts (real sshd, nginx and php8.2-fpm in namespaces of this machine):
 *
 *   npx tsx bench/gather.ts [--skip-build] [--parts host,fleet,scale] [--rounds 3] [--scale 10,25,50]
 *
 * host   one idle host: processes the gather starts (strace -f inside the host) and the host's
 *        CPU time, per script run and per SSH session, against the minimal raw gather
 *        `ssh host 'nginx -T; php-fpm8.2 -tt; cat the pool files; …'` (and the gather fpmfix
 *        had before, test/support/gather-v1).
 * fleet  10 hosts, every other one with a real 502 (nginx left on PHP 8.1's socket): wall time of
 *        `fpmfix plan all` against that raw gather through OpenSSH to all hosts at once, and
 *        `ansible-playbook --check --diff` doing the same read (bench/gather-playbook.yml), stock
 *        and tuned (no facts, pipelining, ControlPersist). Medians of --rounds after a warm-up.
 * scale  50 hosts, same faults: wall time and peak RSS of `fpmfix plan` on 10, 25 and 50 of them.
 *
 * Needs root and the lab's packages; the host part needs strace and GNU time (/usr/bin/time), the
 * fleet part ansible-core, the scale part GNU time for peak RSS. They are benchmark tools only
 * (CI does not run benches): the bench names the Debian packages to install when one is missing.
 */
import {spawnSync} from 'node:child_process'
import {readFile, writeFile} from 'node:fs/promises'
import path from 'node:path'
import {parseArgs} from 'node:util'
import {buildGatherScript, gather} from '../src/gather/index.js'
import {newBoundary} from '../src/protocol/boundary.js'
import {connectTransport} from '../src/transport/connect.js'
import {type Lab, type LabHost, reloadNginx} from '../test/lab/lab/index.js'
import {gatherScriptV1} from '../test/support/gather-v1/index.js'
import {CLI_ENTRY, REPO_ROOT} from '../test/lab/support/run-cli.js'
import {buildUnlessSkipped, integerOption, withLab} from './harness.js'
import {countProcesses, hostCpuPerRun, scriptCpuPerRun, type ProcessCount} from './host-cost.js'
import {describeSeries, median, type Series, timedSpawn, type TimedRun} from './measure.js'
import {labSshTarget} from '../test/lab/support/host-target.js'

const PLAYBOOK = path.join(REPO_ROOT, 'bench', 'gather-playbook.yml')

/** The minimal gather a user would type: the same facts, no framing, no fingerprints. */
const RAW_GATHER =
  'nginx -T; php-fpm8.2 -tt; cat /etc/php/8.2/fpm/pool.d/*.conf; stat /run/php/*.sock; ps -eo user,pid,rss,args; ' +
  'tail -n 500 /var/log/nginx/error.log /var/log/php8.2-fpm.log; cat /proc/meminfo'

const PARTS = ['host', 'fleet', 'scale'] as const
type Part = (typeof PARTS)[number]

interface Options {
  parts: Part[]
  rounds: number
  build: boolean
  scale: number[]
  fleet: number
}

function readOptions(): Options {
  const {values} = parseArgs({
    options: {
      parts: {type: 'string', default: PARTS.join(',')},
      rounds: {type: 'string', default: '3'},
      'skip-build': {type: 'boolean', default: false},
      scale: {type: 'string', default: '10,25,50'},
      fleet: {type: 'string', default: '10'},
    },
  })
  const parts = values.parts.split(',').map((part) => {
    if (!(PARTS as readonly string[]).includes(part)) throw new Error(`--parts takes ${PARTS.join(',')}, not ${part}`)
    return part as Part
  })
  return {
    parts,
    rounds: integerOption('rounds', values.rounds, 1, 64),
    build: !values['skip-build'],
    scale: values.scale.split(',').map((size) => integerOption('scale', size, 1, 64)),
    fleet: integerOption('fleet', values.fleet, 1, 64),
  }
}

/** What each part runs besides the lab, and the Debian package that has it. */
const TOOLS: Record<Part, Array<{command: string; package: string}>> = {
  host: [
    {command: 'strace', package: 'strace'},
    {command: '/usr/bin/time', package: 'time'},
  ],
  fleet: [{command: 'ansible-playbook', package: 'ansible-core'}],
  scale: [{command: '/usr/bin/time', package: 'time'}],
}

/** The packages the chosen parts need and this machine lacks. */
function missingPackages(parts: Part[]): string[] {
  const missing = parts
    .flatMap((part) => TOOLS[part])
    .filter(({command}) => spawnSync('sh', ['-c', `command -v ${command}`]).status !== 0)
  return [...new Set(missing.map((tool) => tool.package))]
}

const quietEnv: NodeJS.ProcessEnv = {...process.env, NO_COLOR: '1', SSH_AUTH_SOCK: undefined}

function log(message: string): void {
  process.stderr.write(`${message}\n`)
}

function sshArgs(lab: Lab, host: LabHost, command: string): string[] {
  const options = [
    ['IdentitiesOnly', 'yes'],
    ['UserKnownHostsFile', lab.knownHostsPath],
    ['StrictHostKeyChecking', 'yes'],
    ['BatchMode', 'yes'],
    ['ControlMaster', 'no'],
    ['ControlPath', 'none'],
  ].flatMap(([key, value]) => ['-o', `${key}=${value}`])
  return [
    '-F',
    '/dev/null',
    '-i',
    lab.clientKeyPath,
    ...options,
    '-T',
    '-p',
    String(host.sshPort),
    'root@127.0.0.1',
    command,
  ]
}

function check(run: TimedRun, what: string, ok: boolean): void {
  if (run.code !== 0 || !ok) throw new Error(`${what} exited ${run.code}\n${run.stderr.slice(-2000)}`)
}

/** The raw gather through OpenSSH, one client per host, all at once; checked after the clock stops. */
async function rawSsh(lab: Lab, hosts: LabHost[]): Promise<number> {
  const started = performance.now()
  const runs = await Promise.all(
    hosts.map((host) => timedSpawn('ssh', sshArgs(lab, host, RAW_GATHER), {env: quietEnv})),
  )
  const ms = performance.now() - started
  runs.forEach((run, index) =>
    check(
      run,
      `raw ssh gather of ${hosts[index]?.name}`,
      run.stdout.includes('MemTotal') && run.stdout.length > 10_000,
    ),
  )
  return ms
}

/** `fpmfix plan` or `fpmfix facts` on every host of the inventory, all at once. */
async function fpmfix(command: 'plan' | 'facts', lab: Lab, inventory: string, hosts: number): Promise<TimedRun> {
  const args = [CLI_ENTRY, command, '-i', inventory, 'all', '--known-hosts', lab.knownHostsPath, '--json', '-q']
  const run = await timedSpawn(process.execPath, [...args, '-f', String(hosts)], {
    cwd: REPO_ROOT,
    env: quietEnv,
    peakRss: true,
  })
  const done = run.code === 0 ? (JSON.parse(run.stdout) as {hosts: Array<{status: string}>}).hosts : []
  check(run, `fpmfix ${command}`, done.length === hosts && done.every((host) => host.status !== 'failed'))
  return run
}

function ansibleEnv(lab: Lab, tuned: boolean): NodeJS.ProcessEnv {
  const known = `-o UserKnownHostsFile=${lab.knownHostsPath} -o StrictHostKeyChecking=yes -o IdentitiesOnly=yes`
  return {
    ...quietEnv,
    ANSIBLE_HOST_KEY_CHECKING: 'True',
    // Stock: Ansible's own ssh_args (ControlPersist=60s), pipelining off, facts gathered.
    ANSIBLE_SSH_ARGS: tuned
      ? `-o ControlMaster=auto -o ControlPersist=600s ${known}`
      : `-C -o ControlMaster=auto -o ControlPersist=60s ${known}`,
    ANSIBLE_PIPELINING: tuned ? 'True' : 'False',
    ANSIBLE_GATHERING: tuned ? 'explicit' : 'implicit',
    ANSIBLE_SSH_CONTROL_PATH_DIR: path.join(lab.root, tuned ? 'ansible-cp-tuned' : 'ansible-cp-stock'),
    ANSIBLE_LOCAL_TEMP: path.join(lab.root, 'ansible-local'),
    ANSIBLE_REMOTE_TMP: '/tmp/.ansible-tmp',
    ANSIBLE_PYTHON_INTERPRETER: '/usr/bin/python3',
    ANSIBLE_NOCOLOR: '1',
    ANSIBLE_RETRY_FILES_ENABLED: 'False',
  }
}

async function ansible(lab: Lab, hosts: number, tuned: boolean): Promise<number> {
  const args = ['-i', lab.inventoryPath, PLAYBOOK, '--check', '--diff', '-f', String(hosts)]
  const run = await timedSpawn('ansible-playbook', args, {cwd: REPO_ROOT, env: ansibleEnv(lab, tuned)})
  check(run, `ansible-playbook (${tuned ? 'tuned' : 'stock'})`, / failed=0 /.test(run.stdout))
  return run.ms
}

/** Every other host gets a real 502: nginx still passes PHP to the 8.1 socket after an upgrade. */
async function breakHalf(hosts: LabHost[]): Promise<void> {
  for (const host of hosts.filter((_, index) => index % 2 === 1)) {
    await host.exec(`sed -i 's#php8.2-fpm.sock#php8.1-fpm.sock#' /etc/nginx/sites-available/lab`)
    await reloadNginx(host)
    if ((await host.http('/index.php')).status !== 502) throw new Error(`${host.name}: the fault gave no 502`)
  }
}

function formatCount(label: string, count: ProcessCount): string {
  const top = count.byProgram
    .slice(0, 8)
    .map(([name, times]) => `${times} ${name}`)
    .join(', ')
  const more = count.byProgram.length > 8 ? ', …' : ''
  const figures = `${String(count.processes).padStart(4)} processes, ${String(count.programs).padStart(4)} programs`
  return `${label.padEnd(34)} ${figures}  (${top}${more})`
}

const ms = (seconds: number): string => `${(seconds * 1000).toFixed(1)} ms`

async function hostPart(): Promise<string[]> {
  log('host: one idle lab host…')
  return withLab({hosts: 1, namePrefix: 'bench-host'}, async (lab) => {
    const host = lab.hosts[0]!
    const counts = {
      fpmfix: await countProcesses(host, buildGatherScript(newBoundary())),
      before: await countProcesses(host, gatherScriptV1(newBoundary())),
      raw: await countProcesses(host, RAW_GATHER),
    }
    const runs = 20
    log('host: CPU per script run…')
    await scriptCpuPerRun(host, buildGatherScript(newBoundary()), 3)
    const script = {
      raw: await scriptCpuPerRun(host, RAW_GATHER, runs),
      fpmfix: await scriptCpuPerRun(host, buildGatherScript(newBoundary()), runs),
      before: await scriptCpuPerRun(host, gatherScriptV1(newBoundary()), runs),
    }
    log('host: CPU per SSH session…')
    const target = labSshTarget(lab, host)
    const openssh = async (command: string): Promise<void> => {
      const run = await timedSpawn('ssh', sshArgs(lab, host, command), {env: quietEnv})
      check(run, `ssh ${command}`, true)
    }
    const session = {
      empty: await hostCpuPerRun(host, runs, () => openssh('true')),
      raw: await hostCpuPerRun(host, runs, () => openssh(RAW_GATHER)),
      fpmfix: await hostCpuPerRun(host, runs, async () => {
        const transport = await connectTransport(target, {knownHostsFile: lab.knownHostsPath})
        try {
          await gather(transport)
        } finally {
          await transport.close()
        }
      }),
    }
    return [
      'One idle lab host (nginx, php8.2-fpm with one pool)',
      formatCount('  fpmfix gather', counts.fpmfix),
      formatCount('  raw gather (ssh host …)', counts.raw),
      formatCount('  fpmfix gather before (v1 script)', counts.before),
      `  host CPU per script run:        fpmfix ${ms(script.fpmfix)}, raw ${ms(script.raw)}, before ${ms(script.before)}` +
        `  → ${(script.fpmfix / script.raw).toFixed(2)}× raw`,
      `  host CPU per SSH session:       fpmfix ${ms(session.fpmfix)}, raw ${ms(session.raw)}, empty session ${ms(session.empty)}` +
        `  → ${(session.fpmfix / session.raw).toFixed(2)}× raw ` +
        `(${((session.fpmfix - session.empty) / (session.raw - session.empty)).toFixed(2)}× above an empty session)`,
      `  (CPU of every process of the host, sshd included; ${runs} runs each, mean)`,
    ]
  })
}

async function fleetPart(options: Options): Promise<string[]> {
  log(`fleet: ${options.fleet} lab hosts…`)
  return withLab({hosts: options.fleet, namePrefix: 'bench-fleet'}, async (lab) => {
    await breakHalf(lab.hosts)
    const figures: Record<'plan' | 'facts' | 'raw' | 'stock' | 'tuned', number[]> = {
      plan: [],
      facts: [],
      raw: [],
      stock: [],
      tuned: [],
    }
    const steps: Array<[keyof typeof figures, () => Promise<number>]> = [
      ['plan', async () => (await fpmfix('plan', lab, lab.inventoryPath, options.fleet)).ms],
      ['facts', async () => (await fpmfix('facts', lab, lab.inventoryPath, options.fleet)).ms],
      ['raw', () => rawSsh(lab, lab.hosts)],
      ['stock', () => ansible(lab, options.fleet, false)],
      ['tuned', () => ansible(lab, options.fleet, true)],
    ]
    for (let round = 0; round <= options.rounds; round++) {
      log(round === 0 ? 'fleet: warm-up round…' : `fleet: round ${round}/${options.rounds}…`)
      // Rotated, so no variant always runs first or right after the same other one.
      for (let step = 0; step < steps.length; step++) {
        const [name, run] = steps[(step + round) % steps.length]!
        const value = await run()
        if (round > 0) figures[name].push(value)
      }
    }
    const series = (label: string, values: number[]): Series => ({label, values})
    const plan = median(figures.plan)
    return [
      `${options.fleet} lab hosts, every other one answering 502 (medians of ${options.rounds} rounds after a warm-up)`,
      describeSeries(series(`  fpmfix plan all -f ${options.fleet}`, figures.plan)),
      describeSeries(series(`  fpmfix facts all -f ${options.fleet} (the gather alone)`, figures.facts)),
      describeSeries(series(`  raw gather, ${options.fleet} OpenSSH clients at once`, figures.raw)),
      describeSeries(series(`  ansible-playbook -f ${options.fleet} --check --diff, stock`, figures.stock)),
      describeSeries(series(`  ansible-playbook -f ${options.fleet} --check --diff, tuned`, figures.tuned)),
      `  fpmfix plan / raw ssh: ${(plan / median(figures.raw)).toFixed(2)}×; ` +
        `tuned Ansible / fpmfix plan: ${(median(figures.tuned) / plan).toFixed(1)}× ` +
        `(tuned Ansible / raw ssh: ${(median(figures.tuned) / median(figures.raw)).toFixed(1)}×, what no tool doing ` +
        `this read over ssh can beat); stock Ansible / fpmfix plan: ${(median(figures.stock) / plan).toFixed(1)}×`,
    ]
  })
}

async function scalePart(options: Options): Promise<string[]> {
  const largest = Math.max(...options.scale)
  log(`scale: ${largest} lab hosts…`)
  return withLab({hosts: largest, namePrefix: 'bench-scale'}, async (lab) => {
    await breakHalf(lab.hosts)
    const inventory = async (size: number): Promise<string> => {
      const file = path.join(lab.root, `inventory-${size}.ini`)
      const text = await readFile(lab.inventoryPath, 'utf8')
      const [group = '[lab]', ...hosts] = text.split('\n').filter((line) => line.trim() !== '')
      await writeFile(file, [group, ...hosts.slice(0, size), ''].join('\n'))
      return file
    }
    log('scale: warm-up…')
    await fpmfix('plan', lab, await inventory(Math.min(...options.scale)), Math.min(...options.scale))
    const rows: Array<{size: number; run: TimedRun}> = []
    for (const size of options.scale) {
      log(`scale: plan on ${size} hosts…`)
      rows.push({size, run: await fpmfix('plan', lab, await inventory(size), size)})
    }
    const mib = (kb: number | undefined): string => (kb === undefined ? 'n/a' : `${(kb / 1024).toFixed(0)} MiB`)
    const lines = rows.map(
      ({size, run}) =>
        `  ${String(size).padStart(3)} hosts: ${(run.ms / 1000).toFixed(1)} s, peak RSS ${mib(run.maxRssKb)}`,
    )
    const [a, b] = rows.slice(-2)
    if (a && b && a.run.maxRssKb !== undefined && b.run.maxRssKb !== undefined && b.size > a.size) {
      const perHost = (b.run.maxRssKb - a.run.maxRssKb) / (b.size - a.size)
      lines.push(
        `  RSS grows ${(perHost / 1024).toFixed(2)} MiB per host; extrapolated to 100 hosts: ${mib(b.run.maxRssKb + perHost * (100 - b.size))}`,
      )
    }
    return [`fpmfix plan with -f equal to the host count, one run each (every other host answering 502)`, ...lines]
  })
}

async function main(): Promise<void> {
  const options = readOptions()
  const missing = missingPackages(options.parts)
  if (missing.length > 0) {
    log(
      `bench/gather.ts needs ${missing.join(', ')} for --parts ${options.parts.join(',')} (benchmark tools, not ` +
        `fpmfix dependencies): apt-get install -y ${missing.join(' ')}`,
    )
    process.exitCode = 2
    return
  }
  await buildUnlessSkipped(options.build)
  const report: string[] = []
  if (options.parts.includes('host')) report.push(...(await hostPart()), '')
  if (options.parts.includes('fleet')) report.push(...(await fleetPart(options)), '')
  if (options.parts.includes('scale')) report.push(...(await scalePart(options)), '')
  process.stdout.write(`gather benchmark\n\n${report.join('\n')}`)
}

await main()
