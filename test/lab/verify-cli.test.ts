import {randomBytes} from 'node:crypto'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import type {VerifySummary} from '../../src/verify/report.js'
import type {RouteReport, VerifyReport} from '../../src/verify/types.js'
import {fpmStopped, poolExhausted} from './lab/faults-502.js'
import {type Lab, type LabHost, startLab} from './lab/index.js'
import {waitFor} from './lab/wait.js'
import {connectionArgs, startCli} from './support/apply-cli-helpers.js'
import {buildCli} from './support/plan-helpers.js'
import {type CliRun, describeRun, runCli} from './support/run-cli.js'

interface VerifyDocument {
  formatVersion: number
  hosts: Array<
    {name: string; address: string} & (
      VerifyReport | {status: 'error'; error: {code: string; message: string; hint?: string}}
    )
  >
  summary: VerifySummary
}

const HOSTS = ['healthy', 'down', 'exhausted'] as const
type Role = (typeof HOSTS)[number]

/** A query string no other request carries, to find this run's lines in nginx's access log. */
const marker = (): string => `run=${randomBytes(6).toString('hex')}`

/** HTTP statuses nginx logged for requests whose line contains `marker`, counted. */
async function accessLogTally(host: LabHost, mark: string): Promise<Record<string, number>> {
  const log = await host.readFile('/var/log/nginx/access.log')
  const tally: Record<string, number> = {}
  for (const line of log.split('\n')) {
    const status = line.includes(mark) ? /" (\d{3}) /.exec(line)?.[1] : undefined
    if (status !== undefined) tally[status] = (tally[status] ?? 0) + 1
  }
  return tally
}

function onlyRoute(run: CliRun<VerifyDocument>, name: string): RouteReport {
  const host = run.json?.hosts.find((entry) => entry.name === name)
  expect(host, describeRun(run)).toBeDefined()
  expect('routes' in host! ? host.routes : [], describeRun(run)).toHaveLength(1)
  return (host as VerifyReport).routes[0]!
}

describe('fpmfix verify through the CLI over SSH: real requests through nginx to php-fpm, counted', () => {
  let lab: Lab
  const host = (role: Role): LabHost => lab.hosts[HOSTS.indexOf(role)]!
  const verify = (args: string[], timeoutMs = 120_000): Promise<CliRun<VerifyDocument>> =>
    runCli<VerifyDocument>(['verify', ...connectionArgs(lab), ...args], {timeoutMs})

  beforeAll(async () => {
    ;[lab] = await Promise.all([startLab({hosts: HOSTS.length, namePrefix: 'verify'}), buildCli()])
    await Promise.all([fpmStopped(host('down')), poolExhausted(host('exhausted'))])
  })

  afterAll(async () => {
    await lab?.stop()
  })

  it.each([
    ['from the host itself', []],
    ['from here', ['--from-here']],
  ])('a healthy host, %s: exit 0, every request a 200, counted as nginx logged them', async (_from, extra) => {
    const mark = marker()
    const run = await verify([
      host('healthy').name,
      '--url',
      `/index.php?${mark}`,
      '-n',
      '400',
      '-c',
      '8',
      '--json',
      ...extra,
    ])

    expect(run.code, describeRun(run)).toBe(0)
    expect(run.json?.hosts[0], describeRun(run)).toMatchObject({
      name: host('healthy').name,
      address: '127.0.0.1',
      status: 'passed',
      from: extra.length > 0 ? 'here' : 'host',
      load: {concurrency: 8, requests: 400},
    })
    const route = onlyRoute(run, host('healthy').name)
    expect(route).toMatchObject({
      url: `http://${host('healthy').name}/index.php?${mark}`,
      connect: `127.0.0.1:${host('healthy').httpPort}`,
      requests: 400,
      responses: 400,
      statuses: {200: 400},
      badGateway: 0,
      connectionErrors: 0,
      timeouts: 0,
      passed: true,
    })
    expect(route.latencyMs!.p50).toBeGreaterThan(0)
    expect(route.latencyMs!.p50).toBeLessThanOrEqual(route.latencyMs!.p99)
    expect(route.requestsPerSecond).toBeGreaterThan(0)
    expect(await accessLogTally(host('healthy'), mark)).toEqual({200: 400})
    expect(run.json?.summary).toMatchObject({hosts: 1, passed: 1, failed: 0, errors: 0, requests: 400})
  })

  it.each([
    ['from the host itself', []],
    ['from here', ['--from-here']],
  ])(
    'a host answering 502 (php-fpm stopped), %s: exit 11, every 502 counted, the table says so',
    async (_from, extra) => {
      const mark = marker()
      const run = await verify([host('down').name, '--url', `/index.php?${mark}`, '-n', '120', '-c', '6', ...extra])

      expect(run.code, describeRun(run)).toBe(11)
      const row = run.stdout.split('\n').find((line) => line.startsWith(`${host('down').name} `))
      expect(row, describeRun(run)).toMatch(/ failed +http:\/\/\S+ +120 +502×120 +120 +0 +0 /)
      expect(run.stdout).toMatch(/1 host: 0 passed, 1 failed, 0 not verified; 120 requests: 120 5xx \(120 502\/504\)/)
      expect(await accessLogTally(host('down'), mark)).toEqual({502: 120})
    },
  )

  it('a pool that overflows under load: 502s among 200s, each counted exactly as nginx logged it', async () => {
    const mark = marker()
    // Two 1 s workers and a listen queue of 2: twelve at once cannot all be taken.
    const run = await verify([
      host('exhausted').name,
      '--url',
      `/slow.php?s=1&${mark}`,
      '-n',
      '12',
      '-c',
      '12',
      '--json',
    ])

    expect(run.code, describeRun(run)).toBe(11)
    const route = onlyRoute(run, host('exhausted').name)
    const logged = await accessLogTally(host('exhausted'), mark)
    expect(route.statuses).toEqual(logged)
    expect(route.requests).toBe(12)
    expect(route.statuses['200'], describeRun(run)).toBeGreaterThanOrEqual(2)
    expect(route.badGateway, describeRun(run)).toBeGreaterThanOrEqual(1)
    expect(route.badGateway).toBe(route.statuses['502'] ?? 0)
    expect(route.latencyMs!.max).toBeGreaterThanOrEqual(1000)
  })

  it('several hosts at once, routes from their server blocks: one JSON document, host-named progress lines, exit 11', async () => {
    const names = [host('healthy').name, host('down').name]
    const run = await verify([...names, '-d', '1', '-c', '4', '--json'])

    expect(run.code, describeRun(run)).toBe(11)
    expect(run.json?.hosts.map((entry) => [entry.name, entry.status])).toEqual([
      [names[0], 'passed'],
      [names[1], 'failed'],
    ])
    for (const name of names) {
      const route = onlyRoute(run, name)
      // Derived as apply's probe derives it: the server block's name, its listen address, /index.php.
      expect(route).toMatchObject({url: `http://${name}/index.php`, hostHeader: name, source: 'server-block'})
      expect(route.fastcgiPass).toBe('/etc/nginx/sites-enabled/lab:14')
      expect(route.requests).toBeGreaterThan(0)
      expect(route.durationMs).toBeGreaterThanOrEqual(1000)
    }
    expect(run.json?.summary).toMatchObject({hosts: 2, passed: 1, failed: 1, errors: 0})

    // --json keeps stderr quiet; without it and without a TTY, each progress line names its host.
    const plain = await verify([...names, '-n', '20', '-c', '2'])
    expect(plain.code, describeRun(plain)).toBe(11)
    const progress = plain.stderr.split('\n').filter((line) => /gathering|index\.php/.test(line))
    expect(progress.length, describeRun(plain)).toBeGreaterThanOrEqual(4)
    for (const line of progress) expect(line).toMatch(new RegExp(`(?:^|\\s)(?:${names.join('|')}): `))
    expect(run.stderr).toBe('')
  })

  it('requests slower than --timeout count as timeouts, and a closed port as connection errors', async () => {
    const slow = await verify([
      host('healthy').name,
      '--url',
      '/slow.php?s=3',
      '--timeout',
      '1',
      '-n',
      '2',
      '-c',
      '2',
      '--json',
    ])
    expect(slow.code, describeRun(slow)).toBe(11)
    expect(onlyRoute(slow, host('healthy').name)).toMatchObject({
      requests: 2,
      responses: 0,
      timeouts: 2,
      latencyMs: null,
      firstError: 'no complete answer within 1000 ms',
      passed: false,
    })

    const [closedPort] = host('healthy').sparePorts
    const refused = await verify([
      host('healthy').name,
      '--url',
      `http://localhost:${closedPort}/`,
      '-n',
      '5',
      '--json',
    ])
    expect(refused.code, describeRun(refused)).toBe(11)
    expect(onlyRoute(refused, host('healthy').name)).toMatchObject({
      connect: `127.0.0.1:${closedPort}`,
      requests: 5,
      connectionErrors: 5,
      firstError: expect.stringMatching(/Connection refused/),
    })
  })

  it('a host without a PHP CLI: from the host it says so (exit 3), --from-here still verifies it', async () => {
    const target = host('healthy')
    // Hide the CLI in this host's own mount namespace only; php-fpm is a different binary.
    await target.exec('mount --bind /dev/null /usr/bin/php8.2')
    try {
      const run = await verify([target.name, '-n', '10', '--json'])
      expect(run.code, describeRun(run)).toBe(3)
      expect(run.json?.hosts[0]).toMatchObject({
        status: 'error',
        error: {
          code: 'VERIFY_LOAD_FAILED',
          message: expect.stringMatching(/no PHP CLI on this host \(looked for: php /),
        },
      })

      const here = await verify([target.name, '-n', '10', '--from-here', '--json'])
      expect(here.code, describeRun(here)).toBe(0)
      expect(onlyRoute(here, target.name).statuses).toEqual({200: 10})
    } finally {
      await target.exec('umount /usr/bin/php8.2')
    }
  })

  it('a killed fpmfix leaves no load running on the host: the program stops once nobody reads it', async () => {
    const target = host('healthy')
    // The brackets keep pgrep from finding the shell that runs it.
    const loadPids = async (): Promise<string> =>
      (await target.exec("pgrep -f '[d]isplay_errors=stderr -- 127.0.0.1' || true")).stdout.trim()
    const cli = await startCli(['verify', ...connectionArgs(lab), target.name, '-d', '120', '-c', '2'])
    try {
      await waitFor(async () => (await loadPids()) !== '', {
        timeoutMs: 60_000,
        what: `the load program on ${target.name}`,
      })
    } finally {
      cli.child.kill('SIGKILL')
    }
    await cli.done
    await waitFor(async () => (await loadPids()) === '', {
      timeoutMs: 15_000,
      what: `the load program on ${target.name} to stop after fpmfix was killed`,
    })
  })
})
