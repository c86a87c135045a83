import {describe, expect, it} from 'vitest'

import {parseFpmFiles, parseFpmTt, predictFpmTest, type FpmFile} from '../../../src/fpm/index.js'
import {fileContent, fixtureText, fixtureTree} from './fixture-tree.js'

const MAIN = '/etc/php/8.2/fpm/php-fpm.conf'
const WWW = '/etc/php/8.2/fpm/pool.d/www.conf'
const HOST_USERS = new Set(['root', 'www-data', 'nobody'])

/** The fpm-invalid tree with a checks file installed as www.conf, the way each capture was made. */
function installed(dir: string, name: string): FpmFile[] {
  const tree = fixtureTree('fpm-invalid', 'etc')
  const content = fileContent(tree, `/etc/php/8.2/fpm/${dir}/${name}.conf`)
  return tree.map((file) => (file.path === WWW ? {path: WWW, content} : file))
}

function firstRealError(capture: string): string {
  return parseFpmTt(fixtureText('fpm-invalid', capture)).errors[0]!
}

describe('predictFpmTest against real php-fpm 8.2 -t results', () => {
  it.each([
    ['pool-checks', 'duplicate-listen', 'php-fpm-tt-pool-duplicate-listen.txt'],
    ['pool-checks', 'listen-missing', 'php-fpm-tt-pool-listen-missing.txt'],
    ['pool-checks', 'ping-path-chars', 'php-fpm-tt-pool-ping-path-chars.txt'],
    ['pool-checks', 'slowlog-above-terminate', 'php-fpm-tt-pool-slowlog-above-terminate.txt'],
    ['pool-checks', 'slowlog-missing', 'php-fpm-tt-pool-slowlog-missing.txt'],
    ['pool-checks', 'status-path-relative', 'php-fpm-tt-pool-status-path-relative.txt'],
    ['pool-checks', 'user-missing', 'php-fpm-tt-pool-user-missing.txt'],
    ['pool-checks', 'user-unknown', 'php-fpm-tt-pool-user-unknown.txt'],
    ['pool.d', 'www', 'php-fpm-tt.txt'],
    ['pm-checks', 'idle-timeout-zero', 'php-fpm-tt-pm-idle-timeout-zero.txt'],
    ['syntax-checks', 'hash-directive', 'php-fpm-tt-syntax-hash-directive.txt'],
    ['syntax-checks', 'unquoted-equals', 'php-fpm-tt-syntax-unquoted-equals.txt'],
  ])('%s/%s: the same first error', (dir, name, capture) => {
    const files = dir === 'pool.d' ? fixtureTree('fpm-invalid', 'etc') : installed(dir, name)
    const prediction = predictFpmTest(parseFpmFiles(files, MAIN), {
      phpVersion: '8.2.36',
      users: HOST_USERS,
      groups: HOST_USERS,
    })
    expect(prediction.ok).toBe(false)
    expect(prediction.errors).toEqual([firstRealError(capture)])
  })

  it('predicts the warning and the error of a config whose include matches nothing', () => {
    const files = fixtureTree('fpm-invalid', 'etc').filter((file) => file.path !== WWW)
    const prediction = predictFpmTest(parseFpmFiles(files, MAIN))
    const real = parseFpmTt(fixtureText('fpm-invalid', 'php-fpm-tt-syntax-no-pool-files.txt'))
    expect(prediction).toEqual({ok: false, errors: [real.errors[0]], warnings: real.warnings})
  })

  it.each([
    ['debian-php82', 'etc', MAIN],
    ['debian-multi-php', 'etc', MAIN],
    ['debian-multi-php', 'etc', '/etc/php/8.1/fpm/php-fpm.conf'],
    ['rhel-remi', 'etc', '/etc/php-fpm.conf'],
    ['alpine-php82', 'etc', '/etc/php82/php-fpm.conf'],
    ['docker-php-fpm', 'usr', '/usr/local/etc/php-fpm.conf'],
    ['fpm-invalid', 'etc', '/etc/php/8.2/fpm/carry-checks/php-fpm.conf'],
  ])('accepts the %s config %s', (layout, root, main) => {
    expect(predictFpmTest(parseFpmFiles(fixtureTree(layout, root), main))).toEqual({ok: true, errors: [], warnings: []})
  })

  it('leaves unknown users alone without the host lists, and skips the user check when not root', () => {
    expect(predictFpmTest(parseFpmFiles(installed('pool-checks', 'user-unknown'), MAIN)).ok).toBe(true)
    expect(predictFpmTest(parseFpmFiles(installed('pool-checks', 'user-missing'), MAIN), {runAsRoot: false}).ok).toBe(
      true,
    )
  })
})
