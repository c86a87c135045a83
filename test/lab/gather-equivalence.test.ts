import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import type {HostSnapshot} from '../../src/model/snapshot.js'
import {hostJournal, readJournalStatus} from '../../src/protocol/journal-status.js'
import {readStates} from '../../src/protocol/state-keys.js'
import type {Transport} from '../../src/transport/transport.js'
import {connectTransport} from '../../src/transport/connect.js'
import {gatherBoth, normalizePair, planPair, type NormalizeOptions} from '../support/gather-compare.js'
import {
  aclOverridesOwner,
  bigHeaders,
  fpmStopped,
  invalidPmValues,
  nginxRunsAsOtherUser,
  poolExhausted,
  provoke,
  secondPoolBroken,
  socketOwnedByRoot,
  tcpPortMismatchViaUpstream,
  terminateTimeoutKills,
  versionSocketMismatch,
  type Fault502,
} from './lab/faults-502.js'
import {type Lab, type LabHost, startLab} from './lab/index.js'
import {type LayoutHostOptions, startLayoutHost} from './support/layout-host.js'
import {labSshTarget} from './support/host-target.js'

/*
 * Nothing lost: the static-file gather reads the same snapshot as the script it replaced
 * (test/support/gather-v1) and so leads to the same plan, on hosts laid out like every fixture
 * distro (running or stopped, without ss/getfacl/sha256sum/timeout, BusyBox) and on lab hosts
 * with each 502 fault of the plan scenarios. See gather-compare.ts for what may differ.
 */

async function expectSameGather(transport: Transport, options: NormalizeOptions = {}): Promise<void> {
  const both = await gatherBoth(transport)
  await expectProtocolReadings(transport, both.after)
  const pair = normalizePair(both, options)
  expect(pair.after.complete).toBe(true)
  expect(pair.after).toEqual(pair.before)
  const plans = planPair(pair)
  expect(plans.after).toEqual(plans.before)
}

/**
 * The state lines and the journal status the gather read in its run are what the host
 * protocol's readers print in an exec of their own (state_report, as apply's stale check
 * recomputes them; journal_status): every service found and every unix socket named or in /run.
 */
async function expectProtocolReadings(transport: Transport, snapshot: HostSnapshot): Promise<void> {
  const states = snapshot.states ?? {}
  const services = snapshot.services.map((service) => `service:${service.name}`)
  const sockets = snapshot.sockets.map((socket) => `socket:${socket.path}`)
  expect(Object.keys(states).sort()).toEqual([...services, ...sockets].sort())
  expect(Object.fromEntries(await readStates(transport, Object.keys(states)))).toEqual(states)
  expect(snapshot.journal).toEqual(hostJournal(await readJournalStatus(transport)))
}

const LAYOUT_CASES: Array<[string, LayoutHostOptions]> = [
  ['Debian 12 as packaged: stock configs, SysV init scripts', {layout: 'debian-stock'}],
  ['Debian, php8.2-fpm, systemd', {layout: 'debian-php82'}],
  ['Debian, php8.2-fpm, both stopped', {layout: 'debian-php82', running: false}],
  [
    'Debian without ss, getfacl, sha256sum and timeout',
    {layout: 'debian-php82', missingTools: ['ss', 'getfacl', 'sha256sum', 'timeout']},
  ],
  ['Debian with PHP 8.1 and 8.2 side by side, SysV init scripts', {layout: 'debian-multi-php'}],
  ['RHEL/Remi: /etc/php-fpm.conf, php.ini in /etc, ACL socket, systemd', {layout: 'rhel-remi'}],
  ['RHEL/Remi stopped', {layout: 'rhel-remi', running: false}],
  ['Alpine: php-fpm82, OpenRC, BusyBox tools and shell', {layout: 'alpine-php82'}],
  ['Docker php-fpm image: /usr/local, foreground master on :9000, no init system', {layout: 'docker-php-fpm'}],
]

describe('the gather reads what it read before, on every fixture distro layout', () => {
  for (const [name, options] of LAYOUT_CASES) {
    it(
      name,
      async () => {
        const host = await startLayoutHost(options)
        try {
          await expectSameGather(host.transport)
        } finally {
          await host.stop()
        }
      },
      120_000,
    )
  }
})

const FAULTS: Array<[string, (host: LabHost) => Promise<Fault502>]> = [
  ['nginx left on the PHP 8.1 socket', versionSocketMismatch],
  ['php-fpm stopped', fpmStopped],
  ['socket handed to root:root', socketOwnedByRoot],
  ['listen.acl_users overrides listen.owner', aclOverridesOwner],
  ['upstream on a port where no pool listens', tcpPortMismatchViaUpstream],
  ['pool exhausted', poolExhausted],
  ['request_terminate_timeout kills requests', terminateTimeoutKills],
  ['headers larger than fastcgi_buffer_size', bigHeaders],
  ['second pool broken', secondPoolBroken],
  ['invalid pm values', invalidPmValues],
  ['nginx workers run as nobody', nginxRunsAsOtherUser],
]

describe('the gather reads what it read before, on lab hosts with each 502 fault', () => {
  let lab: Lab

  beforeAll(async () => {
    lab = await startLab({hosts: FAULTS.length + 1, namePrefix: 'same'})
  })

  afterAll(async () => {
    await lab?.stop()
  })

  const compare = async (host: LabHost): Promise<void> => {
    const transport = await connectTransport(labSshTarget(lab, host), {knownHostsFile: lab.knownHostsPath})
    try {
      await expectSameGather(transport, {sharedNetwork: true})
    } finally {
      await transport.close()
    }
  }

  it('healthy', () => compare(lab.hosts[FAULTS.length]!), 60_000)

  for (const [index, [name, inject]] of FAULTS.entries()) {
    it(
      name,
      async () => {
        const host = lab.hosts[index]!
        await provoke(host, await inject(host))
        await compare(host)
      },
      180_000,
    )
  }
})
