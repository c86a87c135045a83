import {describe, expect, it} from 'vitest'

import {sha256, snapshotFromLayout} from '../../support/snapshot-from-layout.js'
import {unfixedCriticals} from '../../../src/model/plan.js'
import {findingsOf, planFor} from '../diagnose/support/pipeline.js'

const LEGACY_ENABLED = '/etc/nginx/sites-enabled/legacy.example.com'

describe('file changes and fingerprints', () => {
  const snapshot = snapshotFromLayout('debian-multi-php', {
    installs: ['php8.2-fpm'],
    fpm: [
      {pool: 'shop', key: 'listen.owner', value: undefined},
      {pool: 'shop', key: 'listen.mode', value: '0600'},
    ],
  })
  const plan = planFor(snapshot)

  it('each change is fingerprinted by the bytes it was computed from and the bytes it writes', () => {
    expect(plan.changes.length).toBe(2)
    for (const change of plan.changes) {
      expect(change.beforeSha256).toBe(sha256(change.before))
      expect(change.afterSha256).toBe(sha256(change.after))
      const gathered = [
        ...(snapshot.nginx.present ? snapshot.nginx.configFiles : []),
        ...snapshot.fpmInstalls.flatMap((install) => install.files),
      ].find((file) => file.path === (change.viaSymlink ?? change.path))
      expect(gathered?.sha256).toBe(change.beforeSha256)
      expect(change.reasons.length).toBeGreaterThan(0)
    }
  })

  it('the plan fingerprints every config file it read, nginx and php-fpm, once each', () => {
    const read = [
      ...(snapshot.nginx.present ? snapshot.nginx.configFiles : []),
      ...snapshot.fpmInstalls.flatMap((install) => install.files),
    ]
    const files = plan.fingerprints.filter((fingerprint) => fingerprint.kind === 'file')
    expect(files.map((fingerprint) => fingerprint.key).sort()).toEqual(
      [...new Set(read.map((file) => file.path))].sort(),
    )
    for (const fingerprint of files)
      expect(fingerprint.sha256).toBe(read.find((file) => file.path === fingerprint.key)!.sha256)
  })

  describe('a file whose bytes on the host are not what nginx -T printed', () => {
    const drifted = snapshotFromLayout('debian-multi-php', {
      installs: ['php8.2-fpm'],
      edit: (host) => {
        if (!host.nginx.present) return
        host.nginx.configFiles.find((file) => file.path === LEGACY_ENABLED)!.sha256 = sha256(
          'edited on the host after nginx loaded it\n',
        )
      },
    })
    const driftedPlan = planFor(drifted)

    it('is not edited, and the plan says why', () => {
      expect(findingsOf(driftedPlan, 'socket-mismatch')).toHaveLength(1)
      expect(driftedPlan.changes).toEqual([])
      expect(driftedPlan.notes).toContainEqual(
        expect.stringContaining(
          `not editing ${LEGACY_ENABLED}: its bytes on the host differ from what nginx -T printed`,
        ),
      )
    })

    it('and the reload that would only have loaded that edit is dropped too', () => {
      expect(driftedPlan.actions).toEqual([])
      expect(driftedPlan.status).toBe('unchanged')
    })

    it('while other changes go ahead, the finding it would have fixed is left unfixed, and counted so', () => {
      const both = snapshotFromLayout('debian-multi-php', {
        installs: ['php8.2-fpm'],
        fpm: [
          {pool: 'shop', key: 'listen.owner', value: undefined},
          {pool: 'shop', key: 'listen.mode', value: '0600'},
        ],
        edit: (host) => {
          if (!host.nginx.present) return
          host.nginx.configFiles.find((file) => file.path === LEGACY_ENABLED)!.sha256 = sha256('edited since\n')
        },
      })
      const bothPlan = planFor(both)
      expect(bothPlan.status).toBe('changes')
      expect(bothPlan.changes.map((change) => change.path)).not.toContain(LEGACY_ENABLED)
      const mismatch = findingsOf(bothPlan, 'socket-mismatch')
      expect(mismatch).toHaveLength(1)
      expect(mismatch[0]!.remedies).toEqual([])
      expect(unfixedCriticals(bothPlan).map((finding) => finding.id)).toEqual(['socket-mismatch'])
      expect(bothPlan.notes).toContainEqual(
        expect.stringMatching(/^socket-mismatch \(.*\): no change is proposed for this; its edit cannot be made/),
      )
    })
  })
})
