import {spawnSync} from 'node:child_process'
import {mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {applyResultError, buildUndoSpec} from '../../../src/apply/index.js'
import {newBoundary, parsePollOutput, pollCommand, splitSections} from '../../../src/apply/tx-report.js'
import {ExitCode} from '../../../src/exit-codes.js'
import {cleanupTemps, scratchHost, sha256} from './support.js'

afterEach(() => cleanupTemps())

const TXID = '20260102T030405Z-0123abcd'

/** A journal directory as a transaction leaves it, read back through the real poll command. */
function poll(files: Record<string, string>, knownSteps = 0): ReturnType<typeof parsePollOutput> {
  const dir = join(scratchHost().root, TXID)
  mkdirSync(dir)
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content)
  const boundary = newBoundary()
  const result = spawnSync('dash', [
    '-c',
    pollCommand({journalDir: dir, txid: TXID, knownSteps, waitMs: 0, intervalMs: 200, boundary}),
  ])
  return parsePollOutput(TXID, result.stdout.toString(), boundary)
}

describe('reading a journal', () => {
  it('reports a committed transaction with its step timings', () => {
    const report = poll({
      state: 'lock\ncheck\nbackup\nwrite\nvalidate\naction-0\nprobe\ncommitted\n',
      times: 'lock 10\ncheck 0\nbackup 20\nwrite 10\nvalidate 150\naction-0 1210\nprobe 40\n',
      result: `status=committed\ntxid=${TXID}\n`,
      output: 'not shown for a success',
      log: 'not shown for a success',
    })
    expect(report).toEqual({
      txid: TXID,
      running: false,
      interrupted: false,
      steps: [
        {name: 'lock', ms: 10},
        {name: 'check', ms: 0},
        {name: 'backup', ms: 20},
        {name: 'write', ms: 10},
        {name: 'validate', ms: 150},
        {name: 'action-0', ms: 1210},
        {name: 'probe', ms: 40},
      ],
      result: {status: 'applied', txid: TXID, steps: expect.any(Array)},
    })
  })

  it('maps stale check numbers back to the fingerprint keys through the manifest', () => {
    const report = poll({
      state: 'lock\nrefused-stale\n',
      times: 'lock 0\n',
      result: `stale=2 0\nstatus=refused-stale\ntxid=${TXID}\n`,
      'manifest.json': JSON.stringify({
        checks: [
          {key: '/etc/nginx/nginx.conf'},
          {key: 'socket:/run/php/a.sock'},
          {key: '/etc/php/8.2/fpm/pool.d/www.conf'},
        ],
      }),
    })
    expect(report?.result).toMatchObject({
      status: 'refused-stale',
      stale: ['/etc/php/8.2/fpm/pool.d/www.conf', '/etc/nginx/nginx.conf'],
    })
  })

  it('reports a rollback with the failed step, its output and the log, and a lock holder', () => {
    const rolled = poll({
      state: 'lock\ncheck\nbackup\nwrite\nrollback\nrolled-back\n',
      result: `failed_step=validate\nrecovered_txid=20250101T000000Z-deadbeef\nrecovered_pid=77\nrecovered_owner=a@b\nrecovered_started=2025-01-01T00:00:00Z\nstatus=rolled-back\ntxid=${TXID}\n`,
      output: '$ nginx -t\nnginx: [emerg] unknown directive "x"\n',
      log: '12:00:00 step validate failed: rolling back\n',
    })
    expect(rolled?.result).toMatchObject({
      status: 'rolled-back',
      failedStep: 'validate',
      output: '$ nginx -t\nnginx: [emerg] unknown directive "x"\n',
      log: '12:00:00 step validate failed: rolling back\n',
      recoveredLock: {txid: '20250101T000000Z-deadbeef', pid: 77, owner: 'a@b', alive: false},
    })
    const locked = poll({
      state: 'locked\n',
      result: `lock_txid=${TXID}\nlock_pid=12\nlock_owner=ops@laptop\nlock_started=x\nstatus=locked\n`,
    })
    expect(locked?.result).toMatchObject({
      status: 'locked',
      lock: {txid: TXID, pid: 12, owner: 'ops@laptop', alive: true},
    })
  })

  it('tells a dead unfinished transaction from one that has not written anything yet, and ignores a half-written line', () => {
    expect(poll({state: 'lock\ncheck\nback', times: 'lock 3\nche', pid: '999999999\n'})).toMatchObject({
      running: false,
      interrupted: true,
      steps: [{name: 'lock', ms: 3}],
    })
    expect(poll({state: ''})).toMatchObject({running: false, interrupted: false})
  })

  it('returns undefined for a journal that does not exist', () => {
    const boundary = newBoundary()
    const out = spawnSync('dash', [
      '-c',
      pollCommand({journalDir: '/nonexistent/fpmfix', txid: TXID, knownSteps: 0, waitMs: 0, intervalMs: 200, boundary}),
    ])
    expect(parsePollOutput(TXID, out.stdout.toString(), boundary)).toBeUndefined()
  })

  it('splits sections whose bodies hold anything but the random boundary', () => {
    const b = '@@b@@'
    expect(splitSections(`junk\n${b} a\nline\n@@b@ near miss\n\n${b} b\n\n${b} end\n`, b)).toEqual(
      new Map([
        ['a', 'line\n@@b@ near miss\n'],
        ['b', ''],
        ['end', ''],
      ]),
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
      {kind: 'nginx', binary: 'nginx', service: 'nginx', verb: 'reload', expect: [], label: 'reload nginx'},
    ],
    validations: [{kind: 'php-fpm', binary: '/usr/sbin/php-fpm8.2'}, {kind: 'nginx'}],
  }
  const sections = new Map([
    ['txid', `${TXID}\n`],
    ['manifest', JSON.stringify(manifest)],
    ['pre', 'a0.running=0\na1.running=1\n'],
    ['file-0', `real=/etc/php/8.2/fpm/pool.d/www.conf\nsha=${sha256('old\n')}\nwritten=1\n`],
    ['orig-0', `${Buffer.from('old\n').toString('base64')}\n`],
    ['file-1', 'real=/etc/nginx/conf.d/new.conf\nsha=absent\nabsent=1\nwritten=1\n'],
  ])

  it('restores the backups over what the transaction wrote, stops what it started and reloads the rest', () => {
    const spec = buildUndoSpec(sections, {owner: 'ops@laptop'})
    expect(spec).toMatchObject({kind: 'undo', undoes: TXID})
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
    expect(spec.actions.map((action) => action.label)).toEqual(['stop php8.2-fpm', 'reload nginx'])
    expect(spec.checks).toEqual([
      {kind: 'file', key: '/etc/php/8.2/fpm/pool.d/www.conf', sha256: sha256('new\n')},
      {kind: 'file', key: '/etc/nginx/conf.d/new.conf', sha256: sha256('created\n')},
    ])
  })

  it('refuses a damaged journal', () => {
    const damaged = new Map(sections)
    damaged.set('orig-0', Buffer.from('tampered\n').toString('base64'))
    expect(() => buildUndoSpec(damaged, {})).toThrow(/backup of \/etc\/php\/8.2\/fpm\/pool.d\/www.conf does not match/)
    damaged.set('manifest', '{not json')
    expect(() => buildUndoSpec(damaged, {})).toThrow(/manifest.json is not JSON/)
  })
})

describe('applyResultError', () => {
  it('gives each outcome its stable code and exit code', () => {
    expect(applyResultError({status: 'applied', steps: []})).toBeUndefined()
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
