import {applyPatch} from 'diff'
import {describe, expect, it} from 'vitest'

import {unifiedDiff} from '../../../src/plan/unified-diff.js'
import {snapshotFromLayout} from '../../support/snapshot-from-layout.js'
import {planFor} from '../diagnose/support/pipeline.js'

const changes = [
  // nginx, edited through its sites-enabled symlink
  ...planFor(snapshotFromLayout('debian-multi-php', {installs: ['php8.2-fpm']})).changes,
  // a php-fpm pool file
  ...planFor(snapshotFromLayout('rhel-remi', {fpm: [{pool: 'www', key: 'listen.acl_users', value: 'apache'}]})).changes,
]

describe('diffs in plans', () => {
  it('there is one of each kind to look at', () => {
    expect(changes.map((change) => [change.path, change.viaSymlink])).toEqual([
      ['/etc/nginx/sites-available/legacy.example.com', '/etc/nginx/sites-enabled/legacy.example.com'],
      ['/etc/php-fpm.d/www.conf', undefined],
    ])
  })

  it.each(changes.map((change) => [change.path, change] as const))(
    '%s: git-style headers naming the file written (a symlink’s target)',
    (path, change) => {
      const [gitLine, minus, plus, hunk] = change.diff.split('\n')
      expect(gitLine).toBe(`diff --git a${path} b${path}`)
      expect(minus).toBe(`--- a${path}`)
      expect(plus).toBe(`+++ b${path}`)
      expect(hunk).toMatch(/^@@ -\d+,\d+ \+\d+,\d+ @@$/)
    },
  )

  it.each(changes.map((change) => [change.path, change] as const))(
    '%s: the diff applied to the before bytes gives exactly the after bytes',
    (_path, change) => {
      expect(applyPatch(change.before, change.diff)).toBe(change.after)
    },
  )

  it('keeps CRLF files CRLF and says when a file has no final newline', () => {
    const before = 'server {\r\n    fastcgi_pass unix:/run/php/php8.1-fpm.sock;\r\n}'
    const after = 'server {\r\n    fastcgi_pass unix:/run/php/php8.2-fpm.sock;\r\n}'
    const diff = unifiedDiff('/etc/nginx/sites-available/app', before, after)
    expect(diff.split('\n').slice(0, 3)).toEqual([
      'diff --git a/etc/nginx/sites-available/app b/etc/nginx/sites-available/app',
      '--- a/etc/nginx/sites-available/app',
      '+++ b/etc/nginx/sites-available/app',
    ])
    expect(applyPatch(before, diff)).toBe(after)
    expect(diff).toContain('\\ No newline at end of file')
  })
})
