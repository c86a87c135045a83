import {beforeEach, describe, expect, it, vi} from 'vitest'

import type {HostPlan} from '../../../src/model/plan.js'
import type {HostConnection} from '../../../src/model/target.js'
import {describeConnection} from '../../../src/render/connection-text.js'
import {renderPlanText} from '../../../src/render/plan-text.js'
import {snapshotFromLayout} from '../../support/snapshot-from-layout.js'
import {planFor} from '../diagnose/support/pipeline.js'
import {HOST_KEY, planDocument} from '../../support/plan-document.js'

const rename = (plan: HostPlan, name: string): HostPlan => ({...plan, name, address: name})
const healthy = planFor(snapshotFromLayout('rhel-remi'))
const broken = planFor(snapshotFromLayout('debian-multi-php', {installs: ['php8.2-fpm'], stopped: ['nginx']}))

describe('plan text for a fleet', () => {
  beforeEach(() => vi.stubEnv('NO_COLOR', '1'))

  it('gives each healthy host one line and the others their findings, diffs and actions', () => {
    expect(healthy.status).toBe('unchanged')
    expect(healthy.findings.filter((finding) => finding.severity !== 'info')).toEqual([])
    const fleet = [
      ...Array.from({length: 11}, (_, index) => rename(healthy, `web${index + 1}`)),
      rename(broken, 'web12'),
    ]
    const text = renderPlanText(planDocument(fleet), {verbose: false})
    const lines = text.trimEnd().split('\n')
    expect(lines.filter((line) => /^✓ web\d+: healthy, no changes/.test(line))).toHaveLength(11)
    expect(text).toContain('── web12 ──')
    expect(text).toContain('Changes:')
    expect(lines.at(-1)).toMatch(/^12 hosts: 1 to change \(web12\), 11 unchanged, 0 failed; findings: \d+ critical/)
    // The healthy hosts cost 11 lines; what is left is the broken host and the summary.
    const verbose = renderPlanText(planDocument(fleet), {verbose: true}).split('\n').length
    expect(lines.length).toBeLessThan(verbose)
    expect(renderPlanText(planDocument(fleet), {verbose: true})).toContain('── web1 ──')
  })

  it('keeps a healthy-looking host with a note in full: the note must be read', () => {
    const noted = {...rename(healthy, 'web1'), notes: ['an fpmfix apply is running on this host now']}
    const text = renderPlanText(planDocument([noted]), {verbose: false})
    expect(text).toContain('── web1 ──')
    expect(text).toContain('note: an fpmfix apply is running on this host now')
  })
})

describe('where a host is reached (show)', () => {
  beforeEach(() => vi.stubEnv('NO_COLOR', '1'))

  const ssh: HostConnection = {
    connection: 'ssh',
    become: true,
    ssh: {
      name: 'web1',
      address: '10.0.0.5',
      port: 2222,
      user: 'deploy',
      privateKeyFile: '/home/ops/.ssh/id_ed25519',
      knownHostsFile: '/home/ops/.ssh/known_hosts',
      hostKey: HOST_KEY,
    },
    jumpHosts: [{name: 'bastion', address: '203.0.113.9', port: 22, user: 'jump', hostKey: HOST_KEY}],
  }

  it('names address, user, become, key and known_hosts files, the host key, and every jump host', () => {
    expect(describeConnection(ssh)).toEqual([
      'reached: ssh deploy@10.0.0.5:2222, commands as root through sudo -n',
      `         key /home/ops/.ssh/id_ed25519, known_hosts /home/ops/.ssh/known_hosts, host key ssh-ed25519 ${HOST_KEY.sha256}`,
      '  via jump host bastion jump@203.0.113.9:22',
      `         key from ssh-agent, host key ssh-ed25519 ${HOST_KEY.sha256}`,
    ])
  })

  it('says this machine for a local plan, and what an old plan lacks', () => {
    expect(describeConnection({connection: 'local', become: false, machine: 'build-01'})).toEqual([
      'reached: this machine (build-01), no SSH',
    ])
    expect(describeConnection(undefined)[0]).toMatch(/not recorded/)
  })

  it('is shown under every host, healthy ones too', () => {
    const text = renderPlanText(planDocument([{...rename(healthy, 'web1'), connection: ssh}]), {
      verbose: false,
      connection: true,
    })
    const [first, second] = text.split('\n')
    expect(first).toMatch(/^✓ web1: healthy, no changes/)
    expect(second).toBe('  reached: ssh deploy@10.0.0.5:2222, commands as root through sudo -n')
  })
})
