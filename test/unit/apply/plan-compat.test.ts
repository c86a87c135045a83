import {spawnSync} from 'node:child_process'
import {readFileSync, writeFileSync} from 'node:fs'
import {createServer} from 'node:net'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'

import {applyHostPlan} from '../../../src/apply/index.js'
import {parsePlan} from '../../../src/plan/plan-file.js'
import {createLocalTransport} from '../../../src/transport/local.js'
import {cleanupTemps, fakeNginx, scratchHost, sha256} from './support.js'

afterEach(() => cleanupTemps())

/**
 * A plan file exactly as fpmfix wrote it before the runtime became static files: state
 * fingerprints carry only their hash, verify holds the apply options. Paths are the scratch tree's.
 */
function planFileOfThen(path: string, before: string, after: string, socket: string, nginx: string): string {
  const stat = spawnSync('stat', ['-c', '%F %U %G %a %i', '--', socket]).stdout.toString().replace(/\n+$/, '')
  return JSON.stringify({
    formatVersion: 1,
    kind: 'fpmfix-plan',
    createdAt: '2026-11-20T10:00:00.000Z',
    fpmfixVersion: '0.1.0',
    hosts: [
      {
        name: 'web1',
        address: '10.0.0.5',
        status: 'changes',
        findings: [
          {
            id: 'socket-mismatch',
            severity: 'critical',
            scope: {label: 'server app', nginx: {file: path, line: 3, server: 'app'}},
            summary: 'nginx sends to a socket where no pool listens',
            evidence: [{kind: 'config', text: 'fastcgi_pass unix:/run/php/php8.1-fpm.sock', source: `${path}:3`}],
            remedies: [
              {
                kind: 'nginx-set',
                file: path,
                line: 3,
                directive: 'fastcgi_pass',
                args: ['unix:/run/php/php8.2-fpm.sock'],
                reason: 'r',
              },
            ],
          },
        ],
        changes: [
          {
            path,
            before,
            after,
            beforeSha256: sha256(before),
            afterSha256: sha256(after),
            diff: `diff --git a${path} b${path}\n`,
            reasons: ['socket-mismatch: point fastcgi_pass at the pool that listens'],
          },
        ],
        actions: [],
        fingerprints: [
          {kind: 'file', key: path, sha256: sha256(before)},
          {kind: 'state', key: `socket:${socket}`, sha256: sha256(stat)},
          {kind: 'state', key: 'service:php9.3-fpm', sha256: sha256('stopped')},
        ],
        notes: [],
        verify: {fpm: {}, nginx: {binary: nginx}, probes: {fastcgi: [], http: []}},
      },
    ],
    summary: {hosts: 1, toChange: 1, unchanged: 0, failed: 0, text: '1 host: 1 to change, 0 unchanged, 0 failed'},
  })
}

describe('plans saved by earlier versions', () => {
  it('still apply: same schema, same state lines', async () => {
    const host = scratchHost()
    const path = join(host.nginxDir, 'app.conf')
    const before = 'server {\n\tlocation ~ \\.php$ {\n\t\tfastcgi_pass unix:/run/php/php8.1-fpm.sock;\n\t}\n}\n'
    const after = before.replace('php8.1', 'php8.2')
    writeFileSync(path, before)
    const socket = join(host.root, 'php8.2-fpm.sock')
    const server = createServer()
    await new Promise<void>((resolve) => server.listen(socket, resolve))
    try {
      const nginx = fakeNginx(host.bin, 'nginx-ok', 0, 'nginx: configuration file test is successful')
      const document = parsePlan(planFileOfThen(path, before, after, socket, nginx), 'web1.plan.json')
      const saved = document.hosts[0]!

      const result = await applyHostPlan(createLocalTransport(), saved, {
        stateDir: host.stateDir,
        nginx: saved.verify!.nginx,
      })

      expect(result).toMatchObject({status: 'applied'})
      expect(result.steps.map((step) => step.name)).toEqual(['lock', 'check', 'backup', 'write', 'validate', 'probe'])
      expect(readFileSync(path, 'utf8')).toBe(after)
    } finally {
      server.close()
    }
  })
})
