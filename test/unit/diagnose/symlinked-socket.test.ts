import {describe, expect, it} from 'vitest'

import {DEFAULT_POLICY} from '../../../src/model/policy.js'
import {planFromSnapshot} from '../../../src/plan/plan-from-snapshot.js'
import {snapshotFromLayout} from '../../support/snapshot-from-layout.js'
import {onlyFinding, planFor, problems} from './support/pipeline.js'

const SPELLED = '/var/run/php/php8.2-fpm.sock'
const RESOLVED = '/run/php/php8.2-fpm.sock'

/** php-fpm binds the path as its pool writes it (through /var/run → /run); nginx names the resolved path. */
function throughSymlink(extra: Array<{pool: string; key: string; value: string}> = []) {
  return snapshotFromLayout('debian-php82', {fpm: [{pool: 'www', key: 'listen', value: SPELLED}, ...extra]})
}

describe('a pool socket named through a symlinked directory', () => {
  it('pairs with nginx’s spelling of the same socket: a healthy host has no finding', () => {
    const snapshot = throughSymlink()
    expect(snapshot.listeners.unix.map((listener) => listener.path)).toContain(SPELLED)
    expect(problems(planFor(snapshot))).toEqual([])
  })

  it('apply waits for the socket under the path php-fpm binds, and fingerprints that path', () => {
    const snapshot = throughSymlink([
      {pool: 'www', key: 'listen.owner', value: 'root'},
      {pool: 'www', key: 'listen.group', value: 'root'},
    ])
    const {plan, stateKeys} = planFromSnapshot(
      {name: 'web1', connection: 'ssh', address: '192.0.2.10', vars: {}},
      snapshot,
      {policy: DEFAULT_POLICY},
    )
    const finding = onlyFinding(plan, 'socket-permission')
    expect(finding.scope.label).toContain(`unix:${SPELLED}`)
    expect(plan.actions.map((action) => `${action.service} ${action.action}`)).toEqual(['php8.2-fpm restart'])
    const expectations = Object.values(plan.verify!.fpm).flatMap((install) => install.expect ?? [])
    expect(expectations.map((expectation) => expectation.socket?.path)).toEqual([SPELLED])
    expect(plan.verify!.probes.fastcgi).toEqual([{socket: SPELLED}])
    expect(stateKeys).toContain(`socket:${SPELLED}`)
    expect(stateKeys).not.toContain(`socket:${RESOLVED}`)
  })

  it('a fix pointing nginx at such a pool writes the pool’s own spelling', () => {
    const snapshot = snapshotFromLayout('debian-php82', {
      fpm: [{pool: 'www', key: 'listen', value: SPELLED}],
      files: {'/etc/nginx/sites-enabled/default': (text) => text.replace(RESOLVED, '/run/php/php8.1-fpm.sock')},
    })
    const plan = planFor(snapshot)
    onlyFinding(plan, 'socket-mismatch')
    expect(plan.changes.map((change) => change.after.includes(`fastcgi_pass unix:${SPELLED};`))).toEqual([true])
  })
})
