import {spawnSync} from 'node:child_process'
import {mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'
import {afterEach, describe, expect, it} from 'vitest'

import {attachTransaction, buildTxSpec, type ApplyOptions} from '../../../src/apply/index.js'
import {
  bootstrapProgram,
  PROBE_CLIENTS,
  RUNTIME_FILES,
  specRecords,
  transactionManifest,
  transactionPayload,
} from '../../../src/apply/payload.js'
import {newBoundary} from '../../../src/protocol/boundary.js'
import {formatKeyValues} from '../../../src/protocol/frames.js'
import {hostFile, hostProgram} from '../../../src/protocol/host-program.js'
import {createLocalTransport} from '../../../src/transport/local.js'
import {SHELLS, runUnder} from '../protocol/shells.js'
import {change, cleanupTemps, fakeNginx, plan, scratchHost} from './support.js'

afterEach(() => cleanupTemps())

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

describe('the transaction runtime', () => {
  it('is one static program: the same bytes for every transaction, valid sh for dash, bash and busybox', () => {
    const program = hostProgram(RUNTIME_FILES)
    const boundary = newBoundary()
    const one = transactionPayload(buildTxSpec(fullPlan, options), boundary)
    const other = transactionPayload(buildTxSpec(plan([change('/etc/a.conf', 'a', 'b')]), {}), boundary)
    expect(one).toContain(program)
    expect(other).toContain(program)
    expect(program).not.toContain('touch /tmp/PWNED')
    const programs = [
      program,
      ...['bootstrap', 'follow', 'unlock', 'undo-source'].map((name) =>
        hostProgram(['protocol/sh/frame.sh', 'protocol/sh/journal.sh', `apply/runtime/${name}.sh`]),
      ),
    ]
    expect(SHELLS.length).toBeGreaterThan(0)
    for (const shell of SHELLS) {
      for (const text of programs) {
        const check = spawnSync(shell[0]!, [...shell.slice(1), '-n'], {input: text})
        expect({shell: shell.join(' '), status: check.status, stderr: check.stderr.toString()}).toMatchObject({
          status: 0,
          stderr: '',
        })
      }
    }
  })
})

describe('the transaction spec', () => {
  const records = new Map(specRecords(buildTxSpec(fullPlan, options)).map(([name, value]) => [name, String(value)]))

  it('carries every path and name as a plain value, never as code', () => {
    expect(records.get('file_0_path')).toBe(nasty)
    expect(records.get('owner')).toBe('ops@laptop__rm_-rf__')
    expect(records.get('action_0_config')).toBe("/etc/php/8.2/fpm/php-fpm '$(x)'.conf")
    expect(records.get('action_0_expect_0_socket')).toBe("/run/php/a b'$(x).sock")
    expect(records.get('http_probe_0_url')).toBe('http://127.0.0.1:8080/index.php?a=1&b=$(x)')
  })

  it('orders php-fpm before nginx and says what each action expects', () => {
    expect([...records].filter(([name]) => name.startsWith('action_'))).toEqual([
      ['action_0_kind', 'php-fpm'],
      ['action_0_binary', '/usr/sbin/php-fpm8.2'],
      ['action_0_service', 'php8.2-fpm'],
      ['action_0_verb', 'restart'],
      ['action_0_config', "/etc/php/8.2/fpm/php-fpm '$(x)'.conf"],
      ['action_0_expects', '2'],
      ['action_1_kind', 'nginx'],
      ['action_1_binary', '/usr/sbin/nginx'],
      ['action_1_service', 'nginx'],
      ['action_1_verb', 'reload'],
      ['action_1_expects', '0'],
      ['action_0_expect_0_socket', "/run/php/a b'$(x).sock"],
      ['action_0_expect_0_owner', 'www-data'],
      ['action_0_expect_0_group', 'www-data'],
      ['action_0_expect_0_mode', '660'],
      ['action_0_expect_1_port_hex', '2328'],
      ['action_0_expect_1_addr_hex', '0100007F'],
      ['action_0_expect_1_label', '127.0.0.1:9000'],
    ])
    expect(records.get('validations')).toBe('2')
    expect(records.get('nginx_config')).toBe("/etc/nginx/ngi'nx.conf")
  })

  it('checks every fingerprint and every change precondition', () => {
    expect([...records].filter(([name]) => name.startsWith('check'))).toEqual([
      ['checks', '4'],
      ['check_0_kind', 'state'],
      ['check_0_key', 'socket:/run/php/php8.2-fpm.sock'],
      ['check_0_sha256', 'a'.repeat(64)],
      ['check_1_kind', 'state'],
      ['check_1_key', 'service:php8.2-fpm'],
      ['check_1_sha256', 'b'.repeat(64)],
      ['check_2_kind', 'file'],
      ['check_2_key', nasty],
      ['check_2_sha256', fullPlan.changes[0]!.beforeSha256],
      ['check_3_kind', 'file'],
      ['check_3_key', '/etc/php/8.2/fpm/pool.d/www.conf'],
      ['check_3_sha256', fullPlan.changes[1]!.beforeSha256],
    ])
  })

  it("lists each action's gate as probe lists of its own, beside the final probes", () => {
    const gated = plan(
      [],
      [],
      [
        {...fullPlan.actions[0]!, gate: {fastcgi: [{socket: '/run/php/app.sock', pingPath: '/app-ping'}]}},
        {...fullPlan.actions[1]!, gate: {http: [{url: 'http://127.0.0.1:8080/', hostHeader: 'shop.example'}]}},
      ],
    )
    const gateRecords = specRecords(buildTxSpec(gated, options)).filter(
      ([name]) => name.includes('probe') && !name.includes('timeout'),
    )
    expect(gateRecords).toEqual([
      ['action_0_gate_fcgi_probes', 1],
      ['action_0_gate_fcgi_probe_0_address', 'unix:///run/php/app.sock'],
      ['action_0_gate_fcgi_probe_0_uri', '/app-ping'],
      ['action_0_gate_http_probes', 0],
      ['action_1_gate_fcgi_probes', 0],
      ['action_1_gate_http_probes', 1],
      ['action_1_gate_http_probe_0_url', 'http://127.0.0.1:8080/'],
      ['action_1_gate_http_probe_0_host', 'shop.example'],
      ['fcgi_probes', 1],
      ['fcgi_probe_0_address', 'unix:///run/php/x.sock'],
      ['fcgi_probe_0_uri', '/ping'],
      ['http_probes', 1],
      ['http_probe_0_url', 'http://127.0.0.1:8080/index.php?a=1&b=$(x)'],
      ['http_probe_0_host', 'example.org'],
    ])
  })

  it('refuses a value that would span lines', () => {
    const probe = {fastcgi: [{socket: '/run/a.sock', pingPath: '/ping\nx'}]}
    expect(() => buildTxSpec(plan([change('/etc/a.conf', 'a', 'b')]), {probes: probe})).toThrow(/FastCGI probe path/)
    const spec = buildTxSpec(plan([change('/etc/a.conf', 'a', 'b')]))
    expect(() => specRecords({...spec, owner: 'a\nb'})).toThrow(/holds a newline/)
  })
})

describe.each(SHELLS.map((shell) => [shell.join(' '), shell]))('the bootstrap under %s', (_name, shell) => {
  it('stores every journal file byte for byte, starts the transaction and reports it started', async () => {
    const host = scratchHost()
    const dir = join(host.nginxDir, 'sites')
    mkdirSync(dir)
    const path = join(dir, "we'ird $(x).conf")
    writeFileSync(path, 'old\n')
    const after = 'new\r\nwith \u0000 NUL, no newline at the end'
    const spec = buildTxSpec(plan([change(path, 'old\n', after)]), {
      stateDir: host.stateDir,
      nginx: {binary: fakeNginx(host.bin, 'nginx-ok', 0, 'ok')},
    })
    const boundary = newBoundary()
    const run = await runUnder(shell, bootstrapProgram(spec, boundary, 0), {stdin: transactionPayload(spec, boundary)})
    expect(run.status, run.stderr).toBe(0)
    expect(run.stdout).toMatch(new RegExp(`^${boundary} BEGIN started - ${spec.txid}\\npid=\\d+\\n`))

    const journal = join(host.stateDir, 'journal', spec.txid)
    const stored = (name: string) => readFileSync(join(journal, name), 'utf8')
    expect(stored('tx.sh')).toBe(hostProgram(RUNTIME_FILES))
    expect(stored('spec')).toBe(formatKeyValues(specRecords(spec)))
    expect(JSON.parse(stored('manifest.json'))).toEqual(JSON.parse(JSON.stringify(transactionManifest(spec))))
    for (const client of PROBE_CLIENTS)
      expect(stored(`probes/${client}`)).toBe(hostFile(`apply/runtime/probes/${client}`))
    expect(readFileSync(join(journal, 'new', '0'))).toEqual(Buffer.from(after, 'utf8'))

    const transport = createLocalTransport()
    let report = await attachTransaction(transport, spec.txid, {stateDir: host.stateDir})
    while (report.result === undefined) {
      await sleep(50)
      report = await attachTransaction(transport, spec.txid, {stateDir: host.stateDir})
    }
    expect(report.result.status).toBe('applied')
    expect(readFileSync(path, 'utf8')).toBe(after)
  })
})
