import {describe, expect, it} from 'vitest'

import {applyResultError, buildUndoSpec, type UndoSource} from '../../../src/apply/index.js'
import {applyResultOf} from '../../../src/apply/report.js'
import {staleReason} from '../../../src/apply/stale-reasons.js'
import {ExitCode} from '../../../src/exit-codes.js'
import type {JournalReport} from '../../../src/protocol/journal.js'
import {sha256} from './support.js'

const TXID = '20260102T030405Z-0123abcd'
const OLDER = '20260101T000000Z-00000001'

function finished(result: Record<string, string>, extra: Partial<JournalReport> = {}): JournalReport {
  const values = new Map(Object.entries(result))
  return {
    txid: TXID,
    found: true,
    alive: false,
    state: [],
    steps: [{name: 'lock', ms: 3}],
    final: values.get('status') as JournalReport['final'],
    result: values,
    ...extra,
  }
}

describe('the result of a finished transaction', () => {
  it('is applied when an apply committed, undone when an undo did, and shows no output for either', () => {
    expect(applyResultOf(finished({status: 'committed', kind: 'apply'}, {output: 'x', log: 'y'}))).toEqual({
      status: 'applied',
      txid: TXID,
      steps: [{name: 'lock', ms: 3}],
    })
    expect(applyResultOf(finished({status: 'committed', kind: 'undo', undoes: OLDER}))).toMatchObject({
      status: 'undone',
      undid: OLDER,
    })
    expect(applyResultOf(finished({status: 'already-applied', kind: 'apply', applied_by: OLDER}))).toMatchObject({
      status: 'already-applied',
      appliedBy: OLDER,
    })
  })

  it('names every stale check by its key and says in words what changed', () => {
    const manifest = JSON.stringify({
      checks: [
        {kind: 'file', key: '/etc/nginx/sites-available/app', sha256: sha256('a')},
        {kind: 'state', key: 'service:php8.2-fpm', sha256: sha256('running 5301'), state: 'running 5301'},
        {kind: 'file', key: '/etc/php/8.2/fpm/pool.d/www.conf', sha256: sha256('b')},
        {kind: 'state', key: 'socket:/run/php/php8.2-fpm.sock', sha256: 'x', state: 'socket www-data www-data 660 12'},
      ],
      files: [{path: '/etc/php/8.2/fpm/pool.d/www.conf', afterSha256: sha256('c')}],
    })
    const result = applyResultOf(
      finished(
        {
          status: 'refused-stale',
          stale: '0 1 2 3',
          stale_now_0: sha256('edited'),
          stale_now_1: 'running 5554',
          stale_now_2: sha256('c'),
          stale_now_3: 'socket root root 660 12',
        },
        {manifest},
      ),
    )
    expect(result?.stale).toEqual([
      '/etc/nginx/sites-available/app',
      'service:php8.2-fpm',
      '/etc/php/8.2/fpm/pool.d/www.conf',
      'socket:/run/php/php8.2-fpm.sock',
    ])
    expect(result?.staleReasons).toEqual([
      '/etc/nginx/sites-available/app changed since the plan (edited on the host?)',
      'php8.2-fpm was restarted since the plan (master pid 5554, was 5301)',
      '/etc/php/8.2/fpm/pool.d/www.conf already holds the planned content (changed since the plan by another apply or by hand)',
      'socket /run/php/php8.2-fpm.sock is now root:root mode 660 (was www-data:www-data mode 660)',
    ])
    expect(applyResultError(result!)?.message).toContain('php8.2-fpm was restarted since the plan')
  })

  it('reports a rollback with its failed step, output and log, and the lock it recovered', () => {
    const result = applyResultOf(
      finished(
        {
          status: 'rolled-back',
          failed_step: 'validate',
          recovered_txid: OLDER,
          recovered_pid: '77',
          recovered_owner: 'a@b',
          recovered_started: '2025-01-01T00:00:00Z',
        },
        {output: '$ nginx -t\nnginx: [emerg] unknown directive "x"\n', log: 'step validate failed\n'},
      ),
    )
    expect(result).toMatchObject({
      status: 'rolled-back',
      failedStep: 'validate',
      output: '$ nginx -t\nnginx: [emerg] unknown directive "x"\n',
      log: 'step validate failed\n',
      recoveredLock: {txid: OLDER, pid: 77, owner: 'a@b', alive: false},
    })
  })
})

describe('stale reasons', () => {
  const file = {kind: 'file' as const, key: '/etc/a.conf', sha256: sha256('a')}
  const service = {kind: 'state' as const, key: 'service:nginx', sha256: 'x'}
  const socket = {kind: 'state' as const, key: 'socket:/run/a.sock', sha256: 'x'}

  it('tell a deleted, a created and an edited file apart', () => {
    expect(staleReason({...file, now: 'absent'})).toBe('/etc/a.conf was deleted since the plan')
    expect(staleReason({...file, sha256: 'absent', now: sha256('x')})).toBe('/etc/a.conf was created since the plan')
    expect(staleReason({...file, now: sha256('x')})).toBe('/etc/a.conf changed since the plan (edited on the host?)')
  })

  it('say how a service changed, with or without the state the plan saw', () => {
    expect(staleReason({...service, state: 'running 81', now: 'stopped'})).toBe(
      'nginx was stopped since the plan (master pid 81 before)',
    )
    expect(staleReason({...service, state: 'stopped', now: 'running 90 91'})).toBe(
      'nginx was started since the plan (master pids 90 91)',
    )
    expect(staleReason({...service, now: 'running 90'})).toBe(
      'nginx changed since the plan (now running, master pid 90)',
    )
  })

  it('say how a socket changed', () => {
    expect(staleReason({...socket, state: 'socket a b 660 1', now: 'absent'})).toBe(
      'socket /run/a.sock disappeared since the plan',
    )
    expect(staleReason({...socket, state: 'absent', now: 'socket a b 660 1'})).toBe(
      'socket /run/a.sock appeared since the plan (a:b mode 660)',
    )
    expect(staleReason({...socket, state: 'socket a b 660 1', now: 'socket a b 660 2'})).toBe(
      'socket /run/a.sock was re-created since the plan (its service restarted?)',
    )
  })
})

describe('undo of a committed transaction', () => {
  const manifest = {
    txid: TXID,
    files: [
      {path: '/etc/php/8.2/fpm/pool.d/www.conf', afterSha256: sha256('new\n')},
      {path: '/etc/nginx/conf.d/new.conf', afterSha256: sha256('created\n')},
    ],
    actions: [
      {
        kind: 'php-fpm',
        binary: '/usr/sbin/php-fpm8.2',
        service: 'php8.2-fpm',
        verb: 'start',
        expect: [],
        label: 'start php8.2-fpm',
      },
      {
        kind: 'nginx',
        binary: 'nginx',
        service: 'nginx',
        verb: 'reload',
        expect: [],
        gate: {fastcgi: [], http: [{url: 'http://127.0.0.1/index.php'}]},
        label: 'reload nginx',
      },
      {
        kind: 'php-fpm',
        binary: '/usr/sbin/php-fpm8.1',
        service: 'php8.1-fpm',
        verb: 'stop',
        expect: [],
        label: 'stop php8.1-fpm',
      },
    ],
    validations: [{kind: 'php-fpm', binary: '/usr/sbin/php-fpm8.2'}, {kind: 'nginx'}],
  }
  const source: UndoSource = {
    txid: TXID,
    manifest: JSON.stringify(manifest),
    ranBefore: new Map([
      [0, false],
      [1, true],
      [2, true],
    ]),
    files: [
      {
        real: '/etc/php/8.2/fpm/pool.d/www.conf',
        sha: sha256('old\n'),
        absent: false,
        written: true,
        backup: Buffer.from('old\n'),
      },
      {real: '/etc/nginx/conf.d/new.conf', sha: 'absent', absent: true, written: true},
    ],
  }

  it('restores the backups, then undoes the actions last first: starts what it stopped, reloads, stops what it started', () => {
    const spec = buildUndoSpec(source, {owner: 'ops@laptop'})
    expect(spec).toMatchObject({kind: 'undo', undoes: TXID, owner: 'ops@laptop', serviceTimeoutMs: 15_000})
    expect(spec.files).toEqual([
      {
        path: '/etc/php/8.2/fpm/pool.d/www.conf',
        after: Buffer.from('old\n'),
        afterSha256: sha256('old\n'),
        beforeSha256: sha256('new\n'),
        check: 0,
      },
      {
        path: '/etc/nginx/conf.d/new.conf',
        after: null,
        afterSha256: 'absent',
        beforeSha256: sha256('created\n'),
        check: 1,
      },
    ])
    expect(spec.actions.map((action) => action.label)).toEqual(['start php8.1-fpm', 'reload nginx', 'stop php8.2-fpm'])
    expect(spec.actions.map((action) => action.verb)).toEqual(['start', 'reload', 'stop'])
    // The apply's gates probed what it brought up, not what the undo brings back.
    expect(spec.actions.some((action) => 'gate' in action)).toBe(false)
    expect(spec.checks).toEqual([
      {kind: 'file', key: '/etc/php/8.2/fpm/pool.d/www.conf', sha256: sha256('new\n')},
      {kind: 'file', key: '/etc/nginx/conf.d/new.conf', sha256: sha256('created\n')},
    ])
  })

  it('refuses a damaged journal', () => {
    const tampered: UndoSource = {
      ...source,
      files: [{...source.files[0]!, backup: Buffer.from('tampered\n')}, source.files[1]!],
    }
    expect(() => buildUndoSpec(tampered, {})).toThrow(/backup of \/etc\/php\/8.2\/fpm\/pool.d\/www.conf does not match/)
    expect(() => buildUndoSpec({...source, manifest: '{not json'}, {})).toThrow(/manifest.json is not JSON/)
  })
})

describe('applyResultError', () => {
  it('gives each outcome its stable code and exit code', () => {
    for (const status of ['applied', 'undone', 'already-applied', 'unchanged'] as const) {
      expect(applyResultError({status, steps: []})).toBeUndefined()
    }
    expect(applyResultError({status: 'refused-stale', stale: ['/etc/a'], steps: []})).toMatchObject({
      code: 'PLAN_STALE',
      exit: ExitCode.STALE_PLAN,
    })
    expect(
      applyResultError({status: 'locked', lock: {txid: TXID, pid: 1, owner: 'a@b', started: 'x'}, steps: []}, 'web1'),
    ).toMatchObject({
      code: 'LOCKED',
      exit: ExitCode.LOCKED,
      host: 'web1',
      hint: expect.stringContaining(`--force-unlock ${TXID}`),
    })
    expect(applyResultError({status: 'rolled-back', failedStep: 'probe', steps: []})).toMatchObject({
      code: 'ROLLED_BACK',
      exit: ExitCode.ROLLED_BACK,
    })
    expect(applyResultError({status: 'rollback-failed', txid: TXID, steps: []})).toMatchObject({
      code: 'ROLLBACK_FAILED',
      exit: ExitCode.ROLLBACK_FAILED,
    })
    expect(applyResultError({status: 'failed', failedStep: 'backup', steps: []})).toMatchObject({
      code: 'APPLY_FAILED',
      exit: ExitCode.ERROR,
    })
  })
})
