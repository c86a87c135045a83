import {describe, expect, it} from 'vitest'
import {buildTxSpec, isTxid, newTxid, transactionStepList} from '../../../src/apply/index.js'
import {ipv4Hex, normalizeExpectation} from '../../../src/apply/tx-spec.js'
import {fpmfixError} from '../../support/fpmfix-error.js'
import {change, plan, sha256} from './support.js'

const fpm = {
  target: {kind: 'php-fpm' as const, install: '/usr/sbin/php-fpm8.2'},
  service: 'php8.2-fpm',
  action: 'reload' as const,
  reason: 'r',
}
const nginx = {target: {kind: 'nginx' as const}, service: 'nginx', action: 'reload' as const, reason: 'r'}

describe('buildTxSpec', () => {
  it('turns fingerprints and change preconditions into one list of checks, sharing an equal fingerprint', () => {
    const edit = change('/etc/nginx/nginx.conf', 'a\n', 'b\n')
    const spec = buildTxSpec(
      plan(
        [edit],
        [
          {kind: 'file', key: '/etc/nginx/nginx.conf', sha256: sha256('a\n')},
          {kind: 'file', key: '/etc/nginx/mime.types', sha256: 'absent'},
        ],
      ),
    )
    expect(spec.checks).toEqual([
      {kind: 'file', key: '/etc/nginx/nginx.conf', sha256: sha256('a\n')},
      {kind: 'file', key: '/etc/nginx/mime.types', sha256: 'absent'},
    ])
    expect(spec.files[0]).toMatchObject({path: '/etc/nginx/nginx.conf', check: 0, afterSha256: sha256('b\n')})
  })

  it('validates php-fpm for every install acted on and nginx when an nginx file changes', () => {
    const spec = buildTxSpec(plan([change('/etc/nginx/sites-available/x', 'a', 'b')], [], [fpm]), {
      fpm: {'/usr/sbin/php-fpm8.2': {mainConfig: '/etc/php/8.2/fpm/php-fpm.conf'}},
    })
    expect(spec.validations).toEqual([
      {kind: 'php-fpm', binary: '/usr/sbin/php-fpm8.2', mainConfig: '/etc/php/8.2/fpm/php-fpm.conf'},
      {kind: 'nginx'},
    ])
    expect(buildTxSpec(plan([change('/etc/php/8.2/fpm/pool.d/www.conf', 'a', 'b')], [], [fpm])).validations).toEqual([
      {kind: 'php-fpm', binary: '/usr/sbin/php-fpm8.2'},
    ])
  })

  it('probes every expected listener over FastCGI unless probes are given', () => {
    const spec = buildTxSpec(plan([], [], [fpm, nginx]), {
      fpm: {
        '/usr/sbin/php-fpm8.2': {
          expect: [{socket: {path: '/run/php/php8.2-fpm.sock'}}, {tcp: {host: '0.0.0.0', port: 9001}}],
        },
      },
    })
    expect(spec.fastcgiProbes).toEqual([
      {address: 'unix:///run/php/php8.2-fpm.sock', uri: `/fpmfix-probe-${spec.txid}.php`},
      {address: 'tcp://127.0.0.1:9001', uri: `/fpmfix-probe-${spec.txid}.php`},
    ])
    expect(spec.actions.map((action) => action.label)).toEqual(['reload php8.2-fpm', 'reload nginx'])
  })

  describe('gates', () => {
    const moved = plan(
      [],
      [],
      [
        {
          ...fpm,
          gate: {
            fastcgi: [{socket: '/run/php/php8.2-fpm-app.sock', pingPath: '/app-ping'}, {tcp: {host: '*', port: 9002}}],
          },
        },
        {...nginx, gate: {http: [{url: 'http://127.0.0.1:8080/index.php', hostHeader: 'shop.example'}]}},
        {
          target: {kind: 'php-fpm', install: '/usr/sbin/php-fpm8.1'},
          service: 'php8.1-fpm',
          action: 'stop',
          reason: 'r',
        },
      ],
    )

    it("turns each action's gate into the probes the runtime sends right after it", () => {
      const spec = buildTxSpec(moved)
      expect(spec.actions.map((action) => action.gate)).toEqual([
        {
          fastcgi: [
            {address: 'unix:///run/php/php8.2-fpm-app.sock', uri: '/app-ping'},
            {address: 'tcp://127.0.0.1:9002', uri: `/fpmfix-probe-${spec.txid}.php`},
          ],
          http: [],
        },
        {fastcgi: [], http: [{url: 'http://127.0.0.1:8080/index.php', hostHeader: 'shop.example'}]},
        undefined,
      ])
      expect(transactionStepList(spec)).toEqual([
        {name: 'start', title: 'connect and start the transaction'},
        {name: 'lock', title: 'take the host lock'},
        {name: 'check', title: 'check the plan is current'},
        {name: 'backup', title: 'back up 0 files'},
        {name: 'write', title: 'write 0 files'},
        {name: 'validate', title: 'php-fpm -t, php-fpm -t, nginx -t'},
        {name: 'action-0', title: 'reload php8.2-fpm'},
        {name: 'gate-0', title: 'gate: php8.2-fpm answers FastCGI (2 pools)'},
        {name: 'action-1', title: 'reload nginx'},
        {name: 'gate-1', title: 'gate: nginx answers GET http://127.0.0.1:8080/index.php'},
        {name: 'action-2', title: 'stop php8.1-fpm'},
        {name: 'probe', title: 'probe php-fpm and nginx'},
        {name: 'commit', title: 'commit, or roll back on failure'},
      ])
    })

    it('lets --probe-url replace the HTTP probes of the gates that have some, and checks them', () => {
      const spec = buildTxSpec(moved, {gateHttpProbes: [{url: 'http://127.0.0.1/health.php'}]})
      expect(spec.actions.map((action) => action.gate?.http)).toEqual([
        [],
        [{url: 'http://127.0.0.1/health.php'}],
        undefined,
      ])
      expect(fpmfixError(() => buildTxSpec(moved, {gateHttpProbes: [{url: 'ftp://127.0.0.1/'}]})).message).toContain(
        'HTTP probe URL',
      )
      expect(
        fpmfixError(() => buildTxSpec(plan([], [], [{...nginx, gate: {fastcgi: [{socket: 'run/x.sock'}]}}]))).message,
      ).toContain('FastCGI probe socket')
    })
  })

  it('rejects a plan whose content does not match its hashes', () => {
    const edit = {...change('/etc/nginx/nginx.conf', 'a\n', 'b\n'), after: 'tampered\n'}
    expect(fpmfixError(() => buildTxSpec(plan([edit])))).toMatchObject({
      code: 'PLAN_FILE_INVALID',
      message: expect.stringContaining('does not match its afterSha256'),
    })
  })

  it('rejects paths with a newline, relative paths, duplicate changes and unknown state keys', () => {
    expect(fpmfixError(() => buildTxSpec(plan([change('/etc/nginx/a\nb.conf', 'a', 'b')]))).code).toBe(
      'PLAN_FILE_INVALID',
    )
    expect(fpmfixError(() => buildTxSpec(plan([change('nginx.conf', 'a', 'b')]))).code).toBe('PLAN_FILE_INVALID')
    const twice = change('/etc/a.conf', 'a', 'b')
    expect(fpmfixError(() => buildTxSpec(plan([twice, twice]))).message).toContain('changes /etc/a.conf twice')
    expect(
      fpmfixError(() => buildTxSpec(plan([], [{kind: 'state', key: 'pid:/run/x.pid', sha256: 'x'}]))).message,
    ).toContain('unknown state fingerprint key')
    expect(
      fpmfixError(() =>
        buildTxSpec(
          plan([change('/etc/a.conf', 'a', 'b')], [{kind: 'file', key: '/etc/a.conf', sha256: sha256('other')}]),
        ),
      ).message,
    ).toContain("does not match the change's starting point")
  })

  it('rejects bad apply options with a hint to fix them', () => {
    const badMode = fpmfixError(() =>
      buildTxSpec(plan([], [], [fpm]), {
        fpm: {'/usr/sbin/php-fpm8.2': {expect: [{socket: {path: '/run/x.sock', mode: 'rw-rw----'}}]}},
      }),
    )
    expect(badMode).toMatchObject({code: 'PLAN_FILE_INVALID', hint: 'Fix the apply options.'})
    expect(
      fpmfixError(() => buildTxSpec(plan([]), {probes: {http: [{url: 'https://example.org/'}]}})).message,
    ).toContain('HTTP probe URL')
    expect(
      fpmfixError(() => buildTxSpec(plan([]), {probes: {http: [{url: 'http://127.0.0.1/', hostHeader: 'a b'}]}}))
        .message,
    ).toContain('Host header')
  })
})

describe('expectations and ids', () => {
  it('normalises socket modes and TCP addresses to what stat and /proc/net/tcp print', () => {
    expect(normalizeExpectation({socket: {path: '/run/a.sock', mode: '0660'}}).socket).toEqual({
      path: '/run/a.sock',
      owner: '',
      group: '',
      mode: '660',
    })
    expect(normalizeExpectation({tcp: {host: '127.0.0.1', port: 9000}}).tcp).toEqual({
      portHex: '2328',
      addressHex: '0100007F',
      label: '127.0.0.1:9000',
    })
    expect(normalizeExpectation({tcp: {host: '*', port: 80}}).tcp?.addressHex).toBe('')
    expect(ipv4Hex('10.1.2.3')).toBe('0302010A')
    expect(ipv4Hex('::1')).toBe('')
    expect(ipv4Hex('300.1.1.1')).toBe('')
  })

  it('makes sortable transaction ids', () => {
    const id = newTxid(new Date('2026-01-02T03:04:05.678Z'))
    expect(id).toMatch(/^20260102T030405Z-[0-9a-f]{8}$/)
    expect(isTxid(id)).toBe(true)
    expect(isTxid('../../etc')).toBe(false)
  })
})
