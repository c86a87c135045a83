import {spawnSync} from 'node:child_process'
import {describe, expect, it} from 'vitest'
import {bootstrapCommand, buildTransactionScript, buildTxSpec, type ApplyOptions} from '../../../src/apply/index.js'
import {change, plan} from './support.js'

const SHELLS = [['dash'], ['bash', '--posix'], ['busybox', 'sh']].filter(
  ([shell]) => spawnSync('sh', ['-c', `command -v ${shell}`]).status === 0,
)

function syntaxCheck(script: string): Array<{shell: string; status: number | null; stderr: string}> {
  return SHELLS.map(([shell, ...args]) => {
    const result = spawnSync(shell!, [...args, '-n'], {input: script})
    return {shell: shell!, status: result.status, stderr: result.stderr.toString()}
  })
}

const nasty = '/etc/nginx/sites-available/it\'s $(touch /tmp/PWNED) `id` "q" ;&|<>*?[x].conf'

const options: ApplyOptions = {
  owner: 'ops@laptop; rm -rf /',
  fpm: {
    '/usr/sbin/php-fpm8.2': {
      mainConfig: "/etc/php/8.2/fpm/php-fpm '$(x)'.conf",
      expect: [
        {socket: {path: "/run/php/a b'$(x).sock", owner: 'www-data', group: 'www-data', mode: '0660'}},
        {tcp: {host: '127.0.0.1', port: 9000}},
      ],
    },
  },
  nginx: {binary: '/usr/sbin/nginx', config: "/etc/nginx/ngi'nx.conf"},
  probes: {
    http: [{url: 'http://127.0.0.1:8080/index.php?a=1&b=$(x)', hostHeader: 'example.org'}],
    fastcgi: [{socket: '/run/php/x.sock', pingPath: '/ping'}],
  },
}

const fullPlan = plan(
  [
    change(nasty, 'old\n', 'new $(touch /tmp/PWNED)\n`id`\n'),
    change('/etc/php/8.2/fpm/pool.d/www.conf', '[www]\n', '[www]\npm = ondemand\n'),
  ],
  [
    {kind: 'state', key: 'socket:/run/php/php8.2-fpm.sock', sha256: 'a'.repeat(64)},
    {kind: 'state', key: 'service:php8.2-fpm', sha256: 'b'.repeat(64)},
  ],
  [
    {target: {kind: 'php-fpm', install: '/usr/sbin/php-fpm8.2'}, service: 'php8.2-fpm', action: 'restart', reason: 'r'},
    {target: {kind: 'nginx'}, service: 'nginx', action: 'reload', reason: 'r'},
  ],
)

describe('buildTransactionScript', () => {
  it('is valid sh for dash, bash --posix and busybox ash, whatever the paths and contents hold', () => {
    const spec = buildTxSpec(fullPlan, options)
    expect(SHELLS.length).toBeGreaterThan(0)
    for (const check of syntaxCheck(buildTransactionScript(spec)))
      expect(check, check.shell).toMatchObject({status: 0, stderr: ''})
    for (const check of syntaxCheck(bootstrapCommand(spec)))
      expect(check, check.shell).toMatchObject({status: 0, stderr: ''})
  })

  it('quotes every value it interpolates and carries file contents only as base64', () => {
    const script = buildTransactionScript(buildTxSpec(fullPlan, options))
    expect(script).toContain(`backup_file 0 '/etc/nginx/sites-available/it'\\''s $(touch /tmp/PWNED)`)
    expect(script).toMatch(/^OWNER=ops@laptop__rm_-rf__$/m)
    expect(script).not.toContain('new $(touch /tmp/PWNED)')
    expect(script).toContain(Buffer.from('new $(touch /tmp/PWNED)\n`id`\n').toString('base64'))
    expect(script).toMatch(/^set -u$/m)
    expect(script).toMatch(/^LC_ALL=C$/m)
  })

  it('runs php-fpm before nginx, validates both, and waits for the expected listeners', () => {
    const script = buildTransactionScript(buildTxSpec(fullPlan, options))
    expect(script).toContain(
      "validate_target v0 \"$1\" /usr/sbin/php-fpm8.2 -t -y '/etc/php/8.2/fpm/php-fpm '\\''$(x)'\\''.conf' || rv_rc=1",
    )
    expect(script).toContain("validate_target v1 \"$1\" /usr/sbin/nginx -c '/etc/nginx/ngi'\\''nx.conf' -t || rv_rc=1")
    expect(script).toMatch(
      /step action-0 action_0 \|\| rollback action-0\n\s+step action-1 action_1 \|\| rollback action-1/,
    )
    expect(script).toContain("expect_socket '/run/php/a b'\\''$(x).sock' www-data www-data 660 || return 1")
    expect(script).toContain('expect_tcp 2328 0100007F 127.0.0.1:9000 || return 1')
    expect(script).toContain('probe_fcgi unix:///run/php/x.sock /ping || pr_rc=1')
    expect(script).toContain("probe_http 'http://127.0.0.1:8080/index.php?a=1&b=$(x)' example.org || pr_rc=1")
  })

  it('embeds each state probe and checks every fingerprint and change precondition', () => {
    const script = buildTransactionScript(buildTxSpec(fullPlan, options))
    expect(script).toContain(`check_state 0 ${'a'.repeat(64)} state_probe_0 || return 1`)
    expect(script).toContain(`check_state 1 ${'b'.repeat(64)} state_probe_1 || return 1`)
    expect(script).toMatch(/check_file 2 '\/etc\/nginx\/sites-available\/it'\\''s/)
    expect(script).toContain('state_line socket:/run/php/php8.2-fpm.sock')
  })
})
