import {existsSync} from 'node:fs'
import {createConnection, createServer, Socket, type Server} from 'node:net'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'

import {fpmBinaryMatchesService, fpmServiceNameFor} from '../../../src/apply/index.js'
import {runRuntime, runtimeScratch, SHELLS, stub} from './runtime-support.js'
import {cleanupTemps, scratchHost} from './support.js'

const open: Array<Server | Socket> = []

afterEach(() => {
  for (const handle of open.splice(0)) {
    if (handle instanceof Socket) handle.destroy()
    else handle.close()
  }
  cleanupTemps()
})

/** A server of this process on `address` (a unix socket path, or a TCP port on 127.0.0.1 when 0), and one client connected to it. */
async function connectedPair(address: string | 0): Promise<{server: Server; client: Socket}> {
  const server = createServer((socket) => open.push(socket))
  open.push(server)
  await new Promise<void>((resolve) =>
    typeof address === 'string' ? server.listen(address, resolve) : server.listen(0, '127.0.0.1', resolve),
  )
  const bound = server.address()
  const client =
    typeof bound === 'string' ? createConnection(bound) : createConnection({host: '127.0.0.1', port: bound!.port})
  open.push(client)
  await new Promise<void>((resolve) => client.once('connect', () => resolve()))
  return {server, client}
}

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

  it('undoes actions last first', async () => {
    const run = await runRuntime(
      shell,
      runtimeScratch([['actions', '3']]),
      'say() { echo "a$1"; [ "$1" != 1 ]; }\nfor_all_reversed actions say; echo "rc $?"',
    )
    expect(run.stdout).toBe('a2\na1\na0\nrc 1\n')
  })

  it("runs the probes listed under a prefix: an action's gate, or the final ones", async () => {
    const scratch = runtimeScratch([
      ['action_1_gate_fcgi_probes', '1'],
      ['action_1_gate_fcgi_probe_0_address', 'unix:///run/php/app.sock'],
      ['action_1_gate_fcgi_probe_0_uri', '/app-ping'],
      ['action_1_gate_http_probes', '0'],
      ['fcgi_probes', '0'],
      ['http_probes', '1'],
      ['http_probe_0_url', 'http://127.0.0.1/'],
      ['http_probe_0_host', 'shop'],
    ])
    const run = await runRuntime(
      shell,
      scratch,
      [
        'probe_fcgi() { echo "fcgi $1 $2"; }',
        'probe_http() { echo "http $1 $2"; return 1; }',
        'has_probes action_0_gate_ || echo "no gate 0"',
        'run_probes action_1_gate_; echo "gate rc $?"',
        'run_probes \'\'; echo "final rc $?"',
      ].join('\n'),
    )
    expect(run.stdout).toBe(
      'no gate 0\nfcgi unix:///run/php/app.sock /app-ping\ngate rc 0\nhttp http://127.0.0.1/ shop\nfinal rc 1\n',
    )
  })

  it("counts the connections open to a process's listeners, unix and TCP", async () => {
    const unix = await connectedPair(join(scratchHost().root, 'pool.sock'))
    const tcp = await connectedPair(0)
    const count = `open_connections " $(words "$(socket_inodes ${process.pid})") "`
    expect((await runRuntime(shell, runtimeScratch(), count)).stdout).toBe('1\n1\n')
    unix.client.destroy()
    tcp.client.destroy()
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect((await runRuntime(shell, runtimeScratch(), count)).stdout).toBe('0\n0\n')
  })

  it('waits, bounded, for the requests in flight before php-fpm stops or reloads, then goes ahead', async () => {
    await connectedPair(join(scratchHost().root, 'pool.sock'))
    const drain = (oldNginx: string, verb: string): string =>
      [
        `A_KIND=fpm A_NAME=php8.1-fpm O_MASTER=${process.pid} DRAIN_TIMEOUT_MS=300`,
        `nginx_old_workers() { echo ${oldNginx}; }`,
        `drain_before ${verb}`,
      ].join('\n')
    const stop = await runRuntime(shell, runtimeScratch(), drain('', 'stop'))
    expect(stop.stdout).toMatch(
      /^waiting for the requests in flight to php8\.1-fpm to end: 1 connection\(s\) to php8\.1-fpm still open\ntimed out after 300 ms .*\ngoing ahead with stop php8\.1-fpm\n$/,
    )
    // A reload only waits for nginx's workers from before its reload, not for every client.
    expect((await runRuntime(shell, runtimeScratch(), drain('', 'reload'))).stdout).toBe('')
    expect((await runRuntime(shell, runtimeScratch(), drain('', 'start'))).stdout).toBe('')
    expect((await runRuntime(shell, runtimeScratch(), drain('4242', 'restart'))).stdout).toContain(
      'nginx workers from before its reload are still finishing requests (pids 4242)',
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
