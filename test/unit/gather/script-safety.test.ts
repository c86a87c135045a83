import {spawnSync} from 'node:child_process'
import {createHash} from 'node:crypto'
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {newBoundary} from '../../../src/protocol/boundary.js'
import {parseGatherOutput} from '../../../src/gather/parse-gather-output.js'
import {buildGatherScript} from '../../../src/gather/script.js'
import type {HostSnapshot} from '../../../src/model/snapshot.js'

/*
 * The gather script runs against configs whose paths are hostile: command
 * substitutions, backticks, quotes, spaces, semicolons, newlines. A fake
 * nginx and php-fpm first in PATH feed those paths to the script exactly the
 * way the real tools would (nginx -T dump, php-fpm -tt dump, include globs).
 */

const BUSYBOX_APPLETS = [
  'sed',
  'head',
  'tail',
  'stat',
  'od',
  'tr',
  'dd',
  'grep',
  'readlink',
  'find',
  'wc',
  'cat',
  'id',
  'uname',
  'date',
  'sort',
  'sha256sum',
  'timeout',
  'ps',
  'nproc',
  'cut',
  'realpath',
  'env',
  'renice',
  'ionice',
]

let root: string
let payloadNames: string[]

function write(path: string, text: string, mode?: number): void {
  writeFileSync(path, text)
  if (mode !== undefined) chmodSync(path, mode)
}

/** A command substitution that would leave a file behind if any shell ever evaluated it. */
function payload(id: number, style: 'dollar' | 'backtick' = 'dollar'): string {
  payloadNames.push(`pwned-${id}`)
  return style === 'dollar' ? `$(touch pwned-${id})` : `\`touch pwned-${id}\``
}

function buildHostileHost(): void {
  payloadNames = []
  const bin = join(root, 'bin')
  mkdirSync(bin)
  mkdirSync(join(root, 'conf dir'))
  mkdirSync(join(root, 'pool.d'))
  const confWithPayload = join(root, 'conf dir', `${payload(1)}.conf`)
  write(confWithPayload, 'server { listen 8080; }\n')
  const logWithPayload = join(root, `x ${payload(2)} y.log`)
  write(logWithPayload, 'first\nFPMFIXforged000000000000 END log - -\n$(touch pwned-x)\nno trailing newline')
  const dump = [
    `# configuration file ${confWithPayload}:`,
    `error_log "${logWithPayload}";`,
    `error_log ${root}/${payload(3, 'backtick')}.log;`,
    `http { server { location ~ \\.php$ { fastcgi_pass unix:${root}/${payload(4)}.sock; } } }`,
    `fastcgi_pass "unix:${root}/a b'c.sock";`,
    `upstream u { server unix:${root}/;touch\${IFS}pwned-5;.sock; }`,
    `pid ${root}/${payload(6)}.pid;`,
    `error_log "${root}/new`,
    `line.log";`,
    '',
  ].join('\n')
  write(join(root, 'dump.txt'), dump)
  write(
    join(bin, 'nginx'),
    // Like nginx: -V prints the build info, then -T tests and dumps the config.
    `#!/bin/sh\ncase "$*" in\n  *-V*) echo 'nginx version: nginx/1.99.0' >&2; echo 'configure arguments: --prefix=${root}/${payload(7)} --error-log-path=${root}/e${payload(8, 'backtick')}.log' >&2 ;;\nesac\ncase "$*" in\n  *-T*) cat '${root}/dump.txt'; echo 'nginx: configuration file test is successful' >&2 ;;\nesac\n`,
    0o755,
  )
  const poolWithPayload = join(root, 'pool.d', `${payload(9)} a.conf`)
  write(poolWithPayload, `[www]\nlisten = ${root}/${payload(10)}.sock\n`)
  write(join(root, 'pool.d', 'b.conf'), `[b]\nlisten = 127.0.0.1:9001\ninclude=${root}/nested/*.conf\n`)
  mkdirSync(join(root, 'nested'))
  write(join(root, 'nested', 'd.conf'), '[d]\nlisten = 127.0.0.1:9002\n')
  mkdirSync(join(root, 'relative.d'))
  write(join(root, 'relative.d', 'c.conf'), '[c]\nlisten = 127.0.0.1:9003\n')
  write(
    join(root, 'php-fpm.conf'),
    `[global]\ninclude = "${root}/pool.d/$(touch pwned-9)*.conf"\ninclude=${root}/pool.d/*.conf ; comment\ninclude=relative.d/*.conf\n`,
  )
  const tt = [
    `pid = ${root}/${payload(11)}.pid`,
    `error_log = ${root}/${payload(12, 'backtick')}.log`,
    `listen = ${root}/${payload(13)}.sock`,
    `slowlog = ${root}/s;touch pwned-14`,
  ]
    .map((line) => `[01-Jan-2026 00:00:00] NOTICE: \\t${line}\\n`)
    .join('')
  payloadNames.push('pwned-14')
  write(
    join(bin, 'php-fpm'),
    `#!/bin/sh\ncase "$*" in\n  *-tt*) printf '${tt.replaceAll("'", "'\\''")}[01-Jan-2026 00:00:00] NOTICE: configuration file ${root}/php-fpm.conf test is successful\\n' >&2 ;;\n  *-v*) echo 'PHP 8.3.0 (fpm-fcgi)' ;;\n  *-i*) echo 'Loaded Configuration File => ${root}/${payload(15)}.ini'; echo 'Scan this dir for additional .ini files => ${root}/${payload(16)}' ;;\nesac\n`,
    0o755,
  )
}

function tree(dir: string): string[] {
  return readdirSync(dir, {recursive: true, encoding: 'utf8'})
    .sort()
    .map((entry) => `${entry} ${statSync(join(dir, entry), {throwIfNoEntry: false})?.mtimeMs ?? 'gone'}`)
}

function runGather(shell: string[], extraPath: string[]): HostSnapshot {
  const boundary = newBoundary()
  const result = spawnSync(shell[0] ?? 'sh', [...shell.slice(1), '-s'], {
    input: buildGatherScript(boundary),
    cwd: root,
    env: {...process.env, PATH: [...extraPath, process.env.PATH].join(':')},
    maxBuffer: 64 * 1024 * 1024,
  })
  expect(result.status, result.stderr.toString()).toBe(0)
  return parseGatherOutput(result.stdout.toString('utf8'), boundary)
}

function busyboxDir(): string {
  const dir = join(root, 'busybox-applets')
  if (!existsSync(dir)) {
    mkdirSync(dir)
    for (const applet of BUSYBOX_APPLETS) symlinkSync('/bin/busybox', join(dir, applet))
  }
  return dir
}

const shells: Array<[string, string[], () => string[]]> = [
  ['sh', ['sh'], () => [join(root, 'bin')]],
  ['bash --posix', ['bash', '--posix'], () => [join(root, 'bin')]],
  ['busybox sh with busybox applets', ['busybox', 'sh'], () => [join(root, 'bin'), busyboxDir()]],
]

function installed(shell: string[]): boolean {
  return spawnSync(shell[0] ?? 'sh', [...shell.slice(1), '-c', 'true']).status === 0
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'fpmfix-gather-safety-'))
  buildHostileHost()
})

afterAll(() => {
  rmSync(root, {recursive: true, force: true})
})

describe.each(shells)('gather script under %s with hostile config paths', (_name, shell, extraPath) => {
  it.skipIf(!installed(shell))('evaluates nothing, writes nothing, and reports every path verbatim', () => {
    const path = extraPath()
    const before = tree(root).filter((line) => !line.startsWith('busybox-applets'))
    const snapshot = runGather(shell, path)
    const after = tree(root).filter((line) => !line.startsWith('busybox-applets'))

    expect(after).toEqual(before)
    for (const created of payloadNames) expect(existsSync(join(root, created)), created).toBe(false)

    const weirdLog = snapshot.logs.find((log) => log.path === join(root, 'x $(touch pwned-2) y.log'))
    expect(weirdLog?.text).toBe('first\nFPMFIXforged000000000000 END log - -\n$(touch pwned-x)\nno trailing newline')

    if (!snapshot.nginx.present) throw new Error('fake nginx not found')
    expect(snapshot.nginx.binary).toBe(join(root, 'bin', 'nginx'))
    const conf = snapshot.nginx.configFiles[0]
    expect(conf?.path).toBe(join(root, 'conf dir', '$(touch pwned-1).conf'))
    expect(conf?.sha256).toBe(createHash('sha256').update('server { listen 8080; }\n').digest('hex'))

    const fake = snapshot.fpmInstalls.find((install) => install.binary === join(root, 'bin', 'php-fpm'))
    expect(fake?.mainConfigPath).toBe(join(root, 'php-fpm.conf'))
    expect(fake?.files.map((file) => file.path)).toEqual([
      join(root, 'php-fpm.conf'),
      join(root, 'pool.d', '$(touch pwned-9) a.conf'),
      join(root, 'pool.d', 'b.conf'),
      join(root, 'relative.d', 'c.conf'),
      join(root, 'nested', 'd.conf'),
    ])
    expect(fake?.files[1]?.content).toBe(`[www]\nlisten = ${root}/$(touch pwned-10).sock\n`)

    const socketPaths = snapshot.sockets.map((socket) => socket.path)
    expect(socketPaths).toEqual(
      expect.arrayContaining([`${root}/$(touch pwned-13).sock`, `${root}/a b'c.sock`, `${root}/`]),
    )
    expect(snapshot.logs.map((log) => log.path)).toEqual(
      expect.arrayContaining([`${root}/\`touch pwned-12\`.log`, `${root}/s;touch pwned-14`]),
    )
    expect(snapshot.complete).toBe(true)
  })
})
