import {existsSync} from 'node:fs'
import {afterEach, describe, expect, it} from 'vitest'

import {fpmBinaryMatchesService, fpmServiceNameFor} from '../../../src/apply/index.js'
import {runRuntime, runtimeScratch, SHELLS, stub} from './runtime-support.js'
import {cleanupTemps} from './support.js'

afterEach(() => cleanupTemps())

const FPM_ACTION: Array<[string, string]> = [
  ['actions', '1'],
  ['action_0_kind', 'php-fpm'],
  ['action_0_binary', '/usr/sbin/php-fpm8.2'],
  ['action_0_service', 'php8.2-fpm'],
  ['action_0_verb', 'reload'],
  ['action_0_config', "/etc/php/8.2/fpm/php-fpm '$(x)'.conf"],
]

describe.each(SHELLS.map((shell) => [shell.join(' '), shell]))('the runtime under %s', (_name, shell) => {
  it('reads spec values as data, whatever they hold', async () => {
    const hostile = `it's $(touch PWNED) \`id\` "q" a=b \\ ;&|<>*?`
    const scratch = runtimeScratch([
      ['owner', hostile],
      ['files', '2'],
      ['file_1_path', '/etc/nginx/sites-available/a b'],
    ])
    const run = await runRuntime(
      shell,
      scratch,
      `printf '[%s]\\n' "$(spec_get owner)" "$(spec_get file_1_path)" "$(spec_count files)" "$(spec_count checks)" "$(spec_get file_10_path)"`,
    )
    expect(run).toMatchObject({status: 0, stderr: ''})
    expect(run.stdout).toBe(`[${hostile}]\n[/etc/nginx/sites-available/a b]\n[2]\n[0]\n[]\n`)
    expect(existsSync('PWNED')).toBe(false)
  })

  it('controls a service through each manager, by verb and kind from the spec', async () => {
    const scratch = runtimeScratch(FPM_ACTION)
    for (const tool of ['systemctl', 'rc-service', 'service']) stub(scratch, tool)
    const fpm = stub(scratch, 'php-fpm8.2')
    const run = await runRuntime(
      shell,
      scratch,
      [
        'use_action 0',
        `A_BIN='${fpm}'`,
        'kill() { echo "kill $*"; }',
        'masters_gone() { echo masters_gone; }',
        'O_MASTER="42 43"',
        'svc_ctl reload systemd',
        'svc_ctl restart openrc',
        'svc_ctl start sysv',
        'svc_ctl reload none',
        'svc_ctl restart none',
        'svc_ctl bounce systemd',
        'svc_ctl reload upstart',
      ].join('\n'),
    )
    expect(run.stdout).toBe(
      [
        'systemctl [reload] [php8.2-fpm.service]',
        'rc-service [php8.2-fpm] [restart]',
        'service [php8.2-fpm] [start]',
        'kill -USR2 42 43',
        'kill -QUIT 42 43',
        'masters_gone',
        "php-fpm8.2 [-D] [-y] [/etc/php/8.2/fpm/php-fpm '$(x)'.conf]",
        'unknown service verb bounce',
        'cannot reload under service manager upstart',
        '',
      ].join('\n'),
    )
  })

  it('signals nginx through its own binary, prefix and config when no manager runs', async () => {
    const scratch = runtimeScratch([
      ['actions', '1'],
      ['action_0_kind', 'nginx'],
      ['action_0_service', 'nginx'],
    ])
    const nginx = stub(scratch, 'nginx-stub')
    const run = await runRuntime(
      shell,
      scratch,
      `use_action 0\nNGINX_BIN='${nginx}' NGINX_PREFIX=/opt/ng NGINX_CONF='/opt/ng/my nginx.conf'\nsvc_ctl reload none\nNGINX_PREFIX=''\nsvc_ctl start none`,
    )
    expect(run.stdout).toBe(
      'nginx-stub [-p] [/opt/ng] [-c] [/opt/ng/my nginx.conf] [-s] [reload]\nnginx-stub [-c] [/opt/ng/my nginx.conf]\n',
    )
  })

  it('detects no service manager for a service nothing knows', async () => {
    const run = await runRuntime(shell, runtimeScratch(), 'svc_manager fpmfix-no-such-service')
    expect(run.stdout).toBe('none\n')
  })

  it('runs each config test with its own arguments and keeps what it said before the change', async () => {
    const scratch = runtimeScratch([
      ['validations', '2'],
      ['validation_0_kind', 'php-fpm'],
      ['validation_0_config', '/etc/php/8.2/fpm/php-fpm.conf'],
      ['validation_1_kind', 'nginx'],
    ])
    const fpm = stub(scratch, 'php-fpm-ok')
    const nginx = stub(scratch, 'nginx-bad', 1)
    const spec = `printf 'validation_0_binary=%s\\n' '${fpm}' >> "$D/spec"`
    const run = await runRuntime(
      shell,
      scratch,
      `${spec}\nNGINX_BIN='${nginx}'\nrun_validate pre; echo "pre $?"\nrun_validate post; echo "post $?"\nrun_validate rollback; echo "rollback $?"\ncat "$D/pre/valid.v0" "$D/pre/valid.v1"`,
    )
    const out = run.stdout.replaceAll(fpm, 'FPM').replaceAll(nginx, 'NGINX')
    expect(out).toContain(
      '$ FPM -t -y /etc/php/8.2/fpm/php-fpm.conf\nphp-fpm-ok [-t] [-y] [/etc/php/8.2/fpm/php-fpm.conf]\n',
    )
    expect(out).toContain('$ NGINX -t\nnginx-bad [-t]\n')
    expect(out).toContain('pre 0\n')
    expect(out).toContain('configuration test failed (exit 1)\npost 1\n')
    expect(out).toContain('still failing, as it did before this transaction\nrollback 0\n')
    expect(out.endsWith('1\n0\n')).toBe(true)
  })

  it('records every stale precondition with what it found, and only then refuses', async () => {
    const scratch = runtimeScratch([
      ['checks', '3'],
      ['check_0_kind', 'file'],
      ['check_0_key', '/nonexistent/fpmfix/a.conf'],
      ['check_0_sha256', 'absent'],
      ['check_1_kind', 'file'],
      ['check_1_key', '/nonexistent/fpmfix/b.conf'],
      ['check_1_sha256', '0'.repeat(64)],
      ['check_2_kind', 'state'],
      ['check_2_key', 'socket:/nonexistent/fpmfix.sock'],
      ['check_2_sha256', '1'.repeat(64)],
    ])
    const run = await runRuntime(shell, scratch, 'run_checks >/dev/null; echo "rc $? stale$STALE"; cat "$D/stale.kv"')
    expect(run.stdout).toBe('rc 3 stale 1 2\nstale_now_1=absent\nstale_now_2=absent\n')
  })
})

describe('php-fpm service names', () => {
  it('maps php-fpm binaries to their service names', () => {
    expect(fpmServiceNameFor('/usr/sbin/php-fpm8.2')).toBe('php8.2-fpm')
    expect(fpmServiceNameFor('/usr/sbin/php-fpm82')).toBe('php-fpm82')
    expect(fpmServiceNameFor('/opt/remi/php74/root/usr/sbin/php-fpm')).toBe('php74-php-fpm')
    expect(fpmServiceNameFor('/usr/sbin/php-fpm')).toBe('php-fpm')
    expect(fpmBinaryMatchesService('/usr/sbin/php-fpm8.2', 'php8.2-fpm')).toBe(true)
    expect(fpmBinaryMatchesService('/usr/sbin/php-fpm8.1', 'php8.2-fpm')).toBe(false)
    expect(fpmBinaryMatchesService('/opt/remi/php74/root/usr/sbin/php-fpm', 'php74-php-fpm')).toBe(true)
  })
})
