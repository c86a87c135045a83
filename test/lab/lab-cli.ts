import {rm} from 'node:fs/promises'
import {parseArgs} from 'node:util'
import {defaultLabBase, destroyLabRoot, type Lab, LabError, listLabRoots, startLab} from './lab/index.js'

const USAGE = `usage:
  npx tsx test/lab/lab-cli.ts up [--hosts N] [--prefix NAME] [--detach]
  npx tsx test/lab/lab-cli.ts down

up        start N lab hosts (default 3), print inventory, known_hosts and the host table,
          then keep running until SIGINT/SIGTERM and stop the lab
--detach  start, print, and exit leaving the hosts running (stop them with: down)
down      kill every lab recorded under ${defaultLabBase()} and remove that directory
          (FPMFIX_LAB_DIR overrides the directory)`

function parseCommandLine(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      hosts: {type: 'string', default: '3'},
      prefix: {type: 'string', default: 'lab'},
      detach: {type: 'boolean', default: false},
      help: {type: 'boolean', short: 'h', default: false},
    },
  })
}

async function main(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parseCommandLine>
  try {
    parsed = parseCommandLine(argv)
  } catch (error) {
    console.error(`lab: ${(error as Error).message}\n\n${USAGE}`)
    return 2
  }
  const {positionals, values} = parsed
  const [command, ...extra] = positionals
  if (values.help) {
    console.log(USAGE)
    return 0
  }
  if (extra.length > 0 || (command !== 'up' && command !== 'down')) {
    console.error(USAGE)
    return 2
  }
  if (command === 'down') return down()
  if (!/^\d+$/.test(values.hosts)) {
    console.error(`lab: --hosts needs a number, got ${JSON.stringify(values.hosts)}`)
    return 2
  }
  return up(Number(values.hosts), values.prefix, values.detach)
}

async function up(hosts: number, prefix: string, detach: boolean): Promise<number> {
  const started = performance.now()
  const lab = await startLab({hosts, namePrefix: prefix, detached: detach})
  printLab(lab, Math.round(performance.now() - started))
  if (detach) {
    console.log(`\nhosts keep running; stop them with: npx tsx test/lab/lab-cli.ts down`)
    return 0
  }
  console.log('\nrunning; press Ctrl-C to stop')
  // Signal listeners alone do not keep Node running.
  const keepAlive = setInterval(() => {}, 1 << 30)
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'))
    process.once('SIGTERM', () => resolve('SIGTERM'))
  })
  clearInterval(keepAlive)
  console.log(`\n${signal}: stopping lab`)
  await lab.stop()
  return 0
}

async function down(): Promise<number> {
  const base = defaultLabBase()
  const killed: string[] = []
  for (const root of await listLabRoots(base)) killed.push(...(await destroyLabRoot(root)))
  await rm(base, {recursive: true, force: true})
  console.log(
    killed.length > 0 ? `stopped ${killed.join(', ')}; removed ${base}` : `no running lab hosts; removed ${base}`,
  )
  return 0
}

function printLab(lab: Lab, startMs: number): void {
  console.log(`lab started in ${startMs} ms: ${lab.root}`)
  console.log(`inventory:   ${lab.inventoryPath}`)
  console.log(`known_hosts: ${lab.knownHostsPath}`)
  console.log(`client key:  ${lab.clientKeyPath}`)
  const rows = [
    ['NAME', 'SSH', 'HTTP', 'SPARE', 'PID'],
    ...lab.hosts.map((host) => [
      host.name,
      String(host.sshPort),
      String(host.httpPort),
      host.sparePorts.join(','),
      String(host.hostPid),
    ]),
  ]
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)))
  console.log('')
  for (const row of rows)
    console.log(
      row
        .map((cell, column) => cell.padEnd(widths[column]!))
        .join('  ')
        .trimEnd(),
    )
  const first = lab.hosts[0]
  if (first) {
    console.log(
      `\nssh: ssh -i ${lab.clientKeyPath} -o UserKnownHostsFile=${lab.knownHostsPath} -p ${first.sshPort} root@127.0.0.1`,
    )
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code
  },
  (error: unknown) => {
    console.error(error instanceof LabError ? `lab: ${error.message}` : error)
    process.exitCode = 1
  },
)
