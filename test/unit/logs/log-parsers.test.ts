import {readFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'

import {parseFpmLog, parseFpmLogLine} from '../../../src/logs/fpm-log.js'
import {parseFpmTime, parseNginxTime} from '../../../src/logs/log-time.js'
import {parseNginxErrorLog, parseUpstreamField} from '../../../src/logs/nginx-error-log.js'

const fixture = (name: string) => readFileSync(new URL(`../../../fixtures/logs/${name}`, import.meta.url), 'utf8')

describe('nginx error.log', () => {
  const events = parseNginxErrorLog(fixture('nginx-error-mixed.log'), '/var/log/nginx/error.log')

  it('parses every line of a real log with its level, errno and upstream', () => {
    expect(events).toHaveLength(6)
    expect(events.map((event) => event.kind)).toEqual([
      'connect-failed',
      'too-big-header',
      'reset-by-peer',
      'reset-by-peer',
      'connect-failed',
      'connect-failed',
    ])
    const [tcp, , , , denied, missing] = events
    expect(tcp).toMatchObject({
      level: 'error',
      errno: 111,
      upstream: {kind: 'tcp', host: '127.0.0.1', port: 19999},
      request: 'GET /tcp/x HTTP/1.1',
    })
    expect(denied).toMatchObject({
      level: 'crit',
      errno: 13,
      action: 'connecting to upstream',
      upstream: {kind: 'unix', path: '/run/php/php8.2-fpm.sock'},
    })
    expect(missing).toMatchObject({errno: 2, line: 6, file: '/var/log/nginx/error.log'})
    expect(tcp?.time).toBe(Date.UTC(2026, 10, 23, 21, 42, 5))
  })

  it('reads a broken pipe while sending the request as php-fpm closing the connection, and names the writer', () => {
    const line =
      '2026/11/23 21:42:07 [error] 43#43: *12 writev() failed (32: Broken pipe) while sending request to upstream, ' +
      'client: 127.0.0.1, server: , request: "POST /upload.php HTTP/1.1", upstream: "fastcgi://unix:/run/php/php8.2-fpm.sock:", host: "x"'
    expect(parseNginxErrorLog(line, '/var/log/nginx/error.log')[0]).toMatchObject({
      kind: 'reset-by-peer',
      errno: 32,
      pid: 43,
      action: 'sending request to upstream',
    })
  })

  it('reads EAGAIN, stale-socket refusals and 504 timeouts', () => {
    const exhausted = parseNginxErrorLog(fixture('nginx-error-exhausted.log'), 'e.log')
    expect(exhausted.filter((event) => event.errno === 11)).toHaveLength(6)
    const timeouts = exhausted.filter((event) => event.kind === 'timed-out')
    expect(timeouts).toHaveLength(2)
    // nginx omits the trailing ':' of a unix peer after the header phase; both forms name the same socket.
    expect(timeouts[0]?.upstream).toEqual({kind: 'unix', path: '/run/php/php8.2-fpm.sock'})
    expect(exhausted.at(-1)).toMatchObject({errno: 111, kind: 'connect-failed'})
  })

  it('ignores lines that are not nginx log lines and keeps quoted fields with commas', () => {
    const text =
      'garbage\n2026/01/02 03:04:05 [error] 1#1: *2 upstream prematurely closed connection while reading response header from upstream, client: ::1, server: a.example, request: "GET /a,b HTTP/1.1", upstream: "fastcgi://[::1]:9000", host: "x"\n'
    const [event] = parseNginxErrorLog(text, 'x.log')
    expect(event).toMatchObject({
      kind: 'prematurely-closed',
      line: 2,
      server: 'a.example',
      request: 'GET /a,b HTTP/1.1',
      upstream: {kind: 'tcp', host: '::1', port: 9000},
    })
  })

  it('parses upstream fields of both peer kinds', () => {
    expect(parseUpstreamField('fastcgi://unix:/run/php/x.sock:')).toEqual({kind: 'unix', path: '/run/php/x.sock'})
    expect(parseUpstreamField('fastcgi://10.0.0.5:9001')).toEqual({kind: 'tcp', host: '10.0.0.5', port: 9001})
    expect(parseUpstreamField('fastcgi://php-fpm')).toBeUndefined()
  })
})

describe('php-fpm log', () => {
  it('classifies timeouts, signals and respawns from a real log', () => {
    const events = parseFpmLog(fixture('php8.2-fpm-mixed.log'), '/var/log/php8.2-fpm.log')
    const timedOut = events.find((event) => event.kind === 'execution-timed-out')
    expect(timedOut).toMatchObject({
      pool: 'www',
      pid: 28,
      script: '/var/www/cap/slow.php',
      request: 'GET /slow.php?s=5',
    })
    expect(timedOut?.seconds).toBeCloseTo(2.253555)
    const signals = events.filter((event) => event.kind === 'child-exited-signal')
    expect(signals.map((event) => [event.signalName, event.signal])).toEqual([
      ['SIGTERM', 15],
      ['SIGSEGV', 11],
    ])
  })

  it('reads max_children warnings and pm config errors', () => {
    const events = parseFpmLog(fixture('php8.2-fpm-exhausted.log'), 'f.log')
    expect(events.find((event) => event.kind === 'max-children-reached')).toMatchObject({pool: 'www', limit: 2})
    expect(events.filter((event) => event.kind === 'init-failed')).toHaveLength(3)
    expect(events.find((event) => event.level === 'ALERT')).toMatchObject({kind: 'config-error', pool: 'www'})
  })

  it('knows the ondemand wording, core dumps, exit codes and the emergency restart', () => {
    const line = (text: string) => parseFpmLogLine(`[01-Sep-2021 00:00:00] WARNING: ${text}`, 'f', 1)
    expect(line('[pool api] server reached max_children setting (10), consider raising it')).toMatchObject({
      kind: 'max-children-reached',
      pool: 'api',
      limit: 10,
    })
    expect(
      line('[pool www] child 7 exited on signal 7 (SIGBUS - core dumped) after 1.000000 seconds from start'),
    ).toMatchObject({signalName: 'SIGBUS', coreDumped: true})
    expect(line('[pool www] child 9 exited with code 255 after 0.500000 seconds from start')).toMatchObject({
      kind: 'child-exited-code',
      exitCode: 255,
    })
    expect(line('failed processes threshold (10 in 60 sec) is reached, initiating reload')).toMatchObject({
      kind: 'emergency-restart',
    })
    expect(parseFpmLogLine('  [0x00007fc26e017500] curl_exec() /path/file.php:351', 'f', 1)).toBeUndefined()
  })
})

describe('log clocks', () => {
  it('reads both formats as the same naive instant', () => {
    expect(parseNginxTime('2026/11/23 21:42:05')).toBe(parseFpmTime('23-Nov-2026 21:42:05'))
    expect(parseFpmTime('23-Foo-2026 21:42:05')).toBeUndefined()
  })
})
