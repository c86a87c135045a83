import {spawn, spawnSync} from 'node:child_process'
import {
  chmodSync,
  chownSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readlinkSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import {createServer} from 'node:net'
import {join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'
import {afterEach, describe, expect, it} from 'vitest'
import {
  applyHostPlan,
  attachTransaction,
  buildTxSpec,
  readHostJournal,
  rollbackLast,
  startTransaction,
} from '../../../src/apply/index.js'
import {readStateFingerprints} from '../../../src/plan/state-fingerprints.js'
import {journalNotes, readJournalStatus} from '../../../src/protocol/journal-status.js'
import {createLocalTransport} from '../../../src/transport/local.js'
import {change, cleanupTemps, fakeNginx, plan, scratchHost, sha256} from './support.js'

const transport = createLocalTransport()
const isRoot = process.getuid?.() === 0

afterEach(() => cleanupTemps())

const HOSTILE = [
  'server { # $(touch PWNED) `touch PWNED` ${PWNED} \'quoted\' "double"',
  'FPMFIX_PAYLOAD_0123456789abcdef01234567',
  'EOF',
  "'; touch PWNED; echo '",
  'crlf line\r',
  'unicode ✓ — ümlaut, NUL \u0000 inside',
  'no newline at the end',
].join('\n')

describe('transaction run on this machine (scratch tree, no services)', () => {
  it('writes hostile content and names byte for byte without executing any of it', async () => {
    const host = scratchHost()
    const dir = join(host.nginxDir, "we'ird $(touch PWNED) `x` dir")
    mkdirSync(dir)
    const path = join(dir, 'site "a" b.conf')
    writeFileSync(path, 'old\n')
    const nginx = fakeNginx(host.bin, 'nginx-ok', 0, 'nginx: configuration file test is successful')

    const result = await applyHostPlan(transport, plan([change(path, 'old\n', HOSTILE)]), {
      stateDir: host.stateDir,
      nginx: {binary: nginx},
    })

    expect(result.status).toBe('applied')
    expect(readFileSync(path)).toEqual(Buffer.from(HOSTILE, 'utf8'))
    expect(spawnSync('find', [host.root, '-name', 'PWNED']).stdout.toString()).toBe('')
    expect(existsSync(join(process.cwd(), 'PWNED'))).toBe(false)
  })

  it('writes through a symlink to its target, keeps the link, mode and owner, and replaces the file by rename', async () => {
    const host = scratchHost()
    const target = join(host.nginxDir, 'sites-available-site')
    const link = join(host.nginxDir, 'sites-enabled-site')
    writeFileSync(target, 'listen 80;\n')
    chmodSync(target, 0o640)
    if (isRoot) chownSync(target, 33, 33)
    symlinkSync('sites-available-site', link)
    const inode = statSync(target).ino
    const nginx = fakeNginx(host.bin, 'nginx-ok', 0, 'ok')

    const result = await applyHostPlan(transport, plan([change(link, 'listen 80;\n', 'listen 8080;\n')]), {
      stateDir: host.stateDir,
      nginx: {binary: nginx},
    })

    expect(result.status).toBe('applied')
    expect(lstatSync(link).isSymbolicLink()).toBe(true)
    expect(readlinkSync(link)).toBe('sites-available-site')
    expect(readFileSync(target, 'utf8')).toBe('listen 8080;\n')
    const stat = statSync(target)
    expect(stat.mode & 0o7777).toBe(0o640)
    if (isRoot) expect([stat.uid, stat.gid]).toEqual([33, 33])
    expect(stat.ino).not.toBe(inode)
  })

  it('rolls back when the config test fails: bytes, mode and a created file all as before', async () => {
    const host = scratchHost()
    const existing = join(host.nginxDir, 'nginx.conf')
    const created = join(host.nginxDir, 'conf.d-new.conf')
    writeFileSync(existing, 'events {}\n')
    chmodSync(existing, 0o600)
    const nginx = fakeNginx(
      host.bin,
      'nginx-bad',
      1,
      'nginx: [emerg] unknown directive "oops" in /etc/nginx/nginx.conf:1',
    )

    const result = await applyHostPlan(
      transport,
      plan([change(existing, 'events {}\n', 'oops;\n'), change(created, undefined, 'new file\n')]),
      {stateDir: host.stateDir, nginx: {binary: nginx}},
    )

    expect(result).toMatchObject({status: 'rolled-back', failedStep: 'validate'})
    expect(result.output).toContain('[emerg] unknown directive "oops"')
    expect(readFileSync(existing, 'utf8')).toBe('events {}\n')
    expect(statSync(existing).mode & 0o7777).toBe(0o600)
    expect(existsSync(created)).toBe(false)
    expect(result.steps.map((step) => step.name)).toEqual(['lock', 'check', 'backup', 'write'])
  })

  it('creates a file planned as absent with mode 0644', async () => {
    const host = scratchHost()
    const created = join(host.nginxDir, 'new.conf')
    const result = await applyHostPlan(transport, plan([change(created, undefined, 'x\n')]), {
      stateDir: host.stateDir,
      nginx: {binary: fakeNginx(host.bin, 'ok', 0, 'ok')},
    })
    expect(result.status).toBe('applied')
    expect(readFileSync(created, 'utf8')).toBe('x\n')
    expect(statSync(created).mode & 0o777).toBe(0o644)
  })

  it('refuses a stale plan, naming every changed fingerprint, and writes nothing', async () => {
    const host = scratchHost()
    const path = join(host.nginxDir, 'a.conf')
    const gone = join(host.nginxDir, 'gone.conf')
    const appeared = join(host.nginxDir, 'appeared.conf')
    const stillAbsent = join(host.nginxDir, 'still-absent.conf')
    writeFileSync(path, 'edited by hand\n')
    writeFileSync(appeared, 'surprise\n')
    const fingerprints = [
      {kind: 'file' as const, key: gone, sha256: sha256('was here\n')},
      {kind: 'file' as const, key: appeared, sha256: 'absent'},
      {kind: 'file' as const, key: stillAbsent, sha256: 'absent'},
    ]

    const result = await applyHostPlan(transport, plan([change(path, 'planned from this\n', 'new\n')], fingerprints), {
      stateDir: host.stateDir,
    })

    expect(result.status).toBe('refused-stale')
    expect(result.stale).toEqual([gone, appeared, path])
    expect(readFileSync(path, 'utf8')).toBe('edited by hand\n')
  })

  it('accepts state fingerprints computed with stateProbe and refuses a changed one', async () => {
    const host = scratchHost()
    const socketPath = join(host.root, 'fpm.sock')
    const server = createServer()
    await new Promise<void>((resolve) => server.listen(socketPath, resolve))
    try {
      const key = `socket:${socketPath}`
      const [current] = await readStateFingerprints(transport, [key])
      const path = join(host.root, 'a.conf')
      writeFileSync(path, 'a\n')

      const ok = await applyHostPlan(transport, plan([change(path, 'a\n', 'b\n')], [current!]), {
        stateDir: host.stateDir,
      })
      chmodSync(socketPath, 0o600)
      const stale = await applyHostPlan(transport, plan([change(path, 'b\n', 'c\n')], [current!]), {
        stateDir: host.stateDir,
      })

      expect(ok.status).toBe('applied')
      expect(stale).toMatchObject({status: 'refused-stale', stale: [key]})
      expect(readFileSync(path, 'utf8')).toBe('b\n')
    } finally {
      server.close()
    }
  })

  it('refuses while a live transaction holds the lock, and takes over a lock whose process is gone', async () => {
    const host = scratchHost()
    const path = join(host.root, 'a.conf')
    writeFileSync(path, 'a\n')
    const holderTxid = '20200101T000000Z-0badc0de'
    const holder = spawn('sh', ['-c', 'sleep 30; exit 0', `/somewhere/${holderTxid}/tx.sh`], {stdio: 'ignore'})
    mkdirSync(join(host.stateDir, 'lock'), {recursive: true})
    writeFileSync(
      join(host.stateDir, 'lock', 'info'),
      `txid=${holderTxid}\npid=${holder.pid}\nowner=ops@laptop\nstarted=2020-01-01T00:00:00Z\n`,
    )
    try {
      const locked = await applyHostPlan(transport, plan([change(path, 'a\n', 'b\n')]), {stateDir: host.stateDir})
      expect(locked).toMatchObject({
        status: 'locked',
        lock: {txid: holderTxid, pid: holder.pid, owner: 'ops@laptop', alive: true},
      })
      expect(readFileSync(path, 'utf8')).toBe('a\n')
    } finally {
      holder.kill('SIGKILL')
    }
    await new Promise((resolve) => holder.once('exit', resolve))

    const recovered = await applyHostPlan(transport, plan([change(path, 'a\n', 'b\n')]), {stateDir: host.stateDir})

    expect(recovered).toMatchObject({status: 'applied', recoveredLock: {txid: holderTxid, owner: 'ops@laptop'}})
    expect(readFileSync(path, 'utf8')).toBe('b\n')
    expect(existsSync(join(host.stateDir, 'lock'))).toBe(false)
  })

  it('lets exactly one of two simultaneous applies run', async () => {
    const host = scratchHost()
    const path = join(host.nginxDir, 'a.conf')
    writeFileSync(path, 'a\n')
    const slow = fakeNginx(host.bin, 'nginx-slow', 0, 'ok', 1)
    const options = {stateDir: host.stateDir, nginx: {binary: slow}}

    const results = await Promise.all([
      applyHostPlan(transport, plan([change(path, 'a\n', 'b\n')]), options),
      applyHostPlan(transport, plan([change(path, 'a\n', 'c\n')]), options),
    ])

    expect(results.map((result) => result.status).sort()).toEqual(['applied', 'locked'])
    const winner = results.find((result) => result.status === 'applied')!
    expect(results.find((result) => result.status === 'locked')!.lock?.txid).toBe(winner.txid)
  })

  it('rolls back on SIGTERM and reports it through attachTransaction', async () => {
    const host = scratchHost()
    const path = join(host.nginxDir, 'a.conf')
    writeFileSync(path, 'a\n')
    const spec = buildTxSpec(plan([change(path, 'a\n', 'b\n')]), {
      stateDir: host.stateDir,
      nginx: {binary: fakeNginx(host.bin, 'slow', 0, 'ok', 2)},
    })
    await startTransaction(transport, spec)
    const journal = join(host.stateDir, 'journal', spec.txid)
    while (!readFileSync(join(journal, 'state'), 'utf8').includes('write')) await sleep(50)

    process.kill(Number(readFileSync(join(journal, 'pid'), 'utf8')), 'SIGTERM')
    let report = await attachTransaction(transport, spec.txid, {stateDir: host.stateDir})
    while (report.running) {
      await sleep(100)
      report = await attachTransaction(transport, spec.txid, {stateDir: host.stateDir})
    }

    expect(report.result).toMatchObject({status: 'rolled-back', failedStep: 'signal-TERM'})
    expect(readFileSync(path, 'utf8')).toBe('a\n')
  })

  it('undoes the last committed transaction, and then has nothing left to undo', async () => {
    const host = scratchHost()
    const path = join(host.nginxDir, 'a.conf')
    writeFileSync(path, 'a\n')
    const options = {stateDir: host.stateDir, nginx: {binary: fakeNginx(host.bin, 'ok', 0, 'ok')}}
    const applied = await applyHostPlan(transport, plan([change(path, 'a\n', 'b\n')]), options)
    expect(applied.status).toBe('applied')

    const undone = await rollbackLast(transport, options)
    const nothing = await rollbackLast(transport, options)

    expect(undone).toMatchObject({
      status: 'undone',
      undid: applied.txid,
      note: `rolled back transaction ${applied.txid}: restored ${path}`,
    })
    expect(readFileSync(path, 'utf8')).toBe('a\n')
    expect(nothing).toMatchObject({status: 'unchanged', note: 'no committed transaction to roll back on this host'})
  })

  it('refuses to undo when the files changed since the transaction', async () => {
    const host = scratchHost()
    const path = join(host.nginxDir, 'a.conf')
    writeFileSync(path, 'a\n')
    const options = {stateDir: host.stateDir, nginx: {binary: fakeNginx(host.bin, 'ok', 0, 'ok')}}
    await applyHostPlan(transport, plan([change(path, 'a\n', 'b\n')]), options)
    writeFileSync(path, 'edited later\n')

    const undone = await rollbackLast(transport, options)

    expect(undone).toMatchObject({status: 'refused-stale', stale: [path]})
    expect(readFileSync(path, 'utf8')).toBe('edited later\n')
  })

  it('reports a plan applied before as already applied, writing nothing; a later plan is not told about it', async () => {
    const host = scratchHost()
    const path = join(host.nginxDir, 'a.conf')
    writeFileSync(path, 'a\n')
    const options = {stateDir: host.stateDir, nginx: {binary: fakeNginx(host.bin, 'ok', 0, 'ok')}}
    const planned = plan([change(path, 'a\n', 'b\n')])
    const applied = await applyHostPlan(transport, planned, options)
    const inode = statSync(path).ino

    const again = await applyHostPlan(transport, planned, options)

    expect(applied.status).toBe('applied')
    expect(again).toMatchObject({status: 'already-applied', appliedBy: applied.txid})
    expect(again.steps.map((step) => step.name)).toEqual(['lock'])
    expect(statSync(path).ino).toBe(inode)
    expect(await readHostJournal(transport, {stateDir: host.stateDir})).toMatchObject({
      latest: {txid: applied.txid, result: {status: 'applied'}},
    })
    expect(journalNotes(await readJournalStatus(transport, host.stateDir))).toEqual([])
  })

  it('refuses a plan whose new content is in place but was not applied by fpmfix, saying so', async () => {
    const host = scratchHost()
    const path = join(host.nginxDir, 'a.conf')
    writeFileSync(path, 'b\n')

    const result = await applyHostPlan(transport, plan([change(path, 'a\n', 'b\n')]), {stateDir: host.stateDir})

    expect(result).toMatchObject({
      status: 'refused-stale',
      stale: [path],
      staleReasons: [`${path} already holds the planned content (changed since the plan by another apply or by hand)`],
    })
    expect(journalNotes(await readJournalStatus(transport, host.stateDir))).toEqual([])
  })

  it('does nothing for an unchanged plan', async () => {
    const result = await applyHostPlan(transport, plan([]), {stateDir: '/nonexistent/fpmfix-state'})
    expect(result).toEqual({status: 'unchanged', steps: []})
  })
})
