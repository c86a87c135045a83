import {setTimeout as sleep} from 'node:timers/promises'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {applyHostPlan, attachTransaction, rollbackLast, type ApplyOptions} from '../../src/apply/index.js'
import type {Transport} from '../../src/transport/transport.js'
import {
  changeFile,
  fileFacts,
  fileFingerprint,
  fpmAction,
  hostPlan,
  journalFile,
  labApplyOptions,
  lockExists,
  nginxAction,
  nsenterTransport,
  servicePids,
  stateFingerprint,
} from './apply-lab-helpers.js'
import {
  FPM_POOL_FILE,
  FPM_SOCKET,
  LAB_SITE_AVAILABLE,
  LAB_SITE_ENABLED,
  type Lab,
  type LabHost,
  setPoolDirectiveText,
  startLab,
  stopFpm,
} from './lab/index.js'

const addReadTimeout = (text: string): string =>
  text.replace('fastcgi_pass', 'fastcgi_read_timeout 90s;\n\t\tfastcgi_pass')

describe('apply transaction on a real host', () => {
  let lab: Lab
  let host: LabHost
  let transport: Transport

  beforeAll(async () => {
    lab = await startLab({hosts: 1, namePrefix: 'apply'})
    host = lab.hosts[0]!
    transport = nsenterTransport(host)
    // Metadata a careless writer would lose.
    await host.exec(`chmod 640 ${FPM_POOL_FILE} && chown root:www-data ${FPM_POOL_FILE}`)
  })

  afterAll(async () => {
    await transport?.close()
    await lab?.stop()
  })

  it('applies a good change: atomic writes through the symlink, metadata kept, php-fpm then nginx reloaded, probes pass', async () => {
    const poolBefore = await fileFacts(host, FPM_POOL_FILE)
    const siteBefore = await fileFacts(host, LAB_SITE_AVAILABLE)
    const pool = await changeFile(host, FPM_POOL_FILE, (text) =>
      setPoolDirectiveText(text, 'www', 'pm.max_children', '7'),
    )
    const site = await changeFile(host, LAB_SITE_AVAILABLE, addReadTimeout, LAB_SITE_ENABLED)
    const fingerprints = [
      fileFingerprint(pool),
      fileFingerprint(site),
      await stateFingerprint(transport, `socket:${FPM_SOCKET}`),
      await stateFingerprint(transport, 'service:php8.2-fpm'),
      await stateFingerprint(transport, 'service:nginx'),
    ]
    const before = await servicePids(host)
    const steps: string[] = []
    const plan = hostPlan(host, [pool, site], [fpmAction('reload'), nginxAction('reload')], fingerprints)

    const result = await applyHostPlan(transport, plan, {
      ...labApplyOptions(host),
      onStep: (step) => steps.push(step.label),
    })

    expect(result).toMatchObject({status: 'applied'})
    expect(steps).toEqual([
      'connect and start the transaction',
      'take the host lock',
      'check the plan is current',
      'back up 2 files',
      'write 2 files',
      'php-fpm -t, nginx -t',
      'reload php8.2-fpm',
      'reload nginx',
      'probe php-fpm and nginx',
    ])
    expect(await host.readFile(FPM_POOL_FILE)).toBe(pool.after)
    expect(await host.readFile(LAB_SITE_AVAILABLE)).toBe(site.after)
    const poolAfter = await fileFacts(host, FPM_POOL_FILE)
    expect(poolAfter).toMatchObject({mode: '640', owner: '0:33', symlink: false})
    expect(poolAfter.inode).not.toBe(poolBefore.inode)
    expect((await fileFacts(host, LAB_SITE_ENABLED)).symlink).toBe(true)
    expect((await host.exec(`readlink ${LAB_SITE_ENABLED}`)).stdout.trim()).toBe(LAB_SITE_AVAILABLE)
    expect((await fileFacts(host, LAB_SITE_AVAILABLE)).mode).toBe(siteBefore.mode)
    expect((await host.exec('ls -A /etc/php/8.2/fpm/pool.d /etc/nginx/sites-available')).stdout).not.toContain('fpmfix')

    const after = await servicePids(host)
    // A reloaded php-fpm re-executes itself with --daemonize, so even its master may be new; its workers always are.
    expect(after.fpmWorkers.length).toBeGreaterThan(0)
    expect(after.fpmWorkers.filter((pid) => before.fpmWorkers.includes(pid))).toEqual([])
    expect(after.nginxMaster).toBe(before.nginxMaster)
    expect(after.nginxWorkers.filter((pid) => before.nginxWorkers.includes(pid))).toEqual([])

    expect(await journalFile(host, result.txid!, 'out/probe')).toMatch(
      /FastCGI unix:\/\/\/run\/php\/php8\.2-fpm\.sock \S+: status 404/,
    )
    expect(await journalFile(host, result.txid!, 'out/probe')).toContain('index.php: 200')
    expect(await journalFile(host, result.txid!, 'files/0/orig')).toBe(pool.before)
    expect((await host.http('/index.php')).status).toBe(200)
    expect(await lockExists(host)).toBe(false)
  })

  it('rolls back a candidate that fails nginx -t, leaving the files byte-identical and nginx untouched', async () => {
    const site = await changeFile(
      host,
      LAB_SITE_AVAILABLE,
      (text) => text.replace('\tindex index.php', '\tno_such_directive on;\n\tindex index.php'),
      LAB_SITE_ENABLED,
    )
    const before = await fileFacts(host, LAB_SITE_AVAILABLE)
    const pids = await servicePids(host)

    const result = await applyHostPlan(
      transport,
      hostPlan(host, [site], [nginxAction('reload')], [fileFingerprint(site)]),
      labApplyOptions(host),
    )

    expect(result).toMatchObject({status: 'rolled-back', failedStep: 'validate'})
    expect(result.output).toContain('unknown directive "no_such_directive"')
    expect(await fileFacts(host, LAB_SITE_AVAILABLE)).toMatchObject({
      sha: before.sha,
      mode: before.mode,
      owner: before.owner,
    })
    expect((await fileFacts(host, LAB_SITE_ENABLED)).symlink).toBe(true)
    expect((await servicePids(host)).nginxWorkers).toEqual(pids.nginxWorkers)
    expect((await host.http('/index.php')).status).toBe(200)
    expect(await lockExists(host)).toBe(false)
  })

  it('rolls back a pool change php-fpm -t rejects (exit 78), with its error in the output', async () => {
    const pool = await changeFile(host, FPM_POOL_FILE, (text) =>
      setPoolDirectiveText(text, 'www', 'listen.owner', 'nosuchuser'),
    )
    const before = await fileFacts(host, FPM_POOL_FILE)

    const result = await applyHostPlan(
      transport,
      hostPlan(host, [pool], [fpmAction('restart')], [fileFingerprint(pool)]),
      labApplyOptions(host),
    )

    expect(result).toMatchObject({status: 'rolled-back', failedStep: 'validate'})
    expect(result.output).toContain("cannot get uid for user 'nosuchuser'")
    expect(result.output).toContain('exit 78')
    expect(await fileFacts(host, FPM_POOL_FILE)).toMatchObject({sha: before.sha, mode: '640', owner: '0:33'})
  })

  it('rolls back a php-fpm change whose restart fails although php-fpm -t passes, and the site answers again', async () => {
    const brokenSocket = '/run/php/no-such-dir/php8.2-fpm.sock'
    const pool = await changeFile(host, FPM_POOL_FILE, (text) =>
      setPoolDirectiveText(text, 'www', 'listen', brokenSocket),
    )
    const before = await fileFacts(host, FPM_POOL_FILE)
    const pids = await servicePids(host)
    const options = labApplyOptions(host)
    options.fpm![Object.keys(options.fpm!)[0]!]!.expect = [
      {socket: {path: brokenSocket, owner: 'www-data', group: 'www-data', mode: '0660'}},
    ]

    const result = await applyHostPlan(
      transport,
      hostPlan(host, [pool], [fpmAction('restart')], [fileFingerprint(pool)]),
      {...options, serviceTimeoutMs: 5_000},
    )

    expect(result).toMatchObject({status: 'rolled-back', failedStep: 'action-0'})
    expect(result.output).toMatch(/timed out after 5000 ms waiting for php8\.2-fpm to (re)?start/)
    expect(await fileFacts(host, FPM_POOL_FILE)).toMatchObject({sha: before.sha, mode: '640', owner: '0:33'})
    const after = await servicePids(host)
    expect(after.fpmMaster).not.toBe('')
    expect(after.fpmMaster).not.toBe(pids.fpmMaster)
    expect((await host.http('/index.php')).status).toBe(200)
  })

  it('refuses a stale plan (file or state changed since planning) without writing anything', async () => {
    const pool = await changeFile(host, FPM_POOL_FILE, (text) =>
      setPoolDirectiveText(text, 'www', 'pm.max_children', '9'),
    )
    await host.exec(`printf '; edited by hand\\n' >> ${FPM_POOL_FILE}`)
    const edited = await fileFacts(host, FPM_POOL_FILE)
    const staleSocket = {kind: 'state' as const, key: `socket:${FPM_SOCKET}`, sha256: '0'.repeat(64)}
    const plan = hostPlan(host, [pool], [fpmAction('reload')], [fileFingerprint(pool), staleSocket])

    const result = await applyHostPlan(transport, plan, labApplyOptions(host))

    expect(result.status).toBe('refused-stale')
    expect(result.stale).toEqual([FPM_POOL_FILE, `socket:${FPM_SOCKET}`])
    expect(await fileFacts(host, FPM_POOL_FILE)).toEqual(edited)
    expect(await journalFile(host, result.txid!, 'state')).toBe('lock\nrefused-stale\n')
    expect(await lockExists(host)).toBe(false)
  })

  it('controls php-fpm and nginx directly when there is no service manager, including an ondemand pool (no workers to watch) and its ping', async () => {
    const options = (pingPath?: string): ApplyOptions => ({
      ...labApplyOptions(host),
      serviceManager: 'none',
      probes: {
        fastcgi: [{socket: FPM_SOCKET, ...(pingPath ? {pingPath} : {})}],
        http: [{url: `http://127.0.0.1:${host.httpPort}/index.php`}],
      },
    })
    const toOndemand = await changeFile(host, FPM_POOL_FILE, (text) =>
      ['pm = ondemand', 'pm.process_idle_timeout = 1s', 'ping.path = /fpm-ping'].reduce((current, line) => {
        const [key, value] = line.split(' = ') as [string, string]
        return setPoolDirectiveText(current, 'www', key, value)
      }, text),
    )
    const restarted = await applyHostPlan(
      transport,
      hostPlan(host, [toOndemand], [fpmAction('restart'), nginxAction('reload')], [fileFingerprint(toOndemand)]),
      options('/fpm-ping'),
    )
    expect(restarted.status).toBe('applied')
    expect(await journalFile(host, restarted.txid!, 'out/action-0')).toContain('restart php8.2-fpm (none)')
    expect(await journalFile(host, restarted.txid!, 'out/probe')).toMatch(/\/fpm-ping: status 200/)

    // The probes spawned an ondemand worker; once it idles out, a reload has no workers to watch.
    const deadline = Date.now() + 10_000
    while ((await servicePids(host)).fpmWorkers.length > 0 && Date.now() < deadline) await sleep(200)
    expect((await servicePids(host)).fpmWorkers).toEqual([])
    const back = await changeFile(host, FPM_POOL_FILE, (text) => setPoolDirectiveText(text, 'www', 'pm', 'dynamic'))
    const reloaded = await applyHostPlan(
      transport,
      hostPlan(host, [back], [fpmAction('reload')], [fileFingerprint(back)]),
      options(),
    )

    expect(reloaded.status).toBe('applied')
    expect(await journalFile(host, reloaded.txid!, 'out/action-0')).toContain('reload php8.2-fpm (none)')
    expect((await servicePids(host)).fpmWorkers.length).toBeGreaterThan(0)
    expect((await host.http('/index.php')).status).toBe(200)
  })

  it('starts a stopped php-fpm and sees it serve; when the probe then fails, stops it again as it was', async () => {
    await stopFpm(host)
    const start = hostPlan(host, [], [fpmAction('start')], [await stateFingerprint(transport, 'service:php8.2-fpm')])

    // nginx answers 502 for a header bigger than its default buffers: a probe that fails whatever php-fpm does.
    const failing = await applyHostPlan(transport, start, labApplyOptions(host, '/big-header.php?kb=16'))

    expect(failing).toMatchObject({status: 'rolled-back', failedStep: 'probe'})
    expect(failing.output).toContain('big-header.php?kb=16: 502')
    expect((await servicePids(host)).fpmMaster).toBe('')

    const started = await applyHostPlan(transport, start, labApplyOptions(host))

    expect(started.status).toBe('applied')
    expect((await servicePids(host)).fpmMaster).not.toBe('')
    expect((await host.http('/index.php')).status).toBe(200)
  })

  it('undoes the last committed apply with rollbackLast', async () => {
    const site = await changeFile(
      host,
      LAB_SITE_AVAILABLE,
      (text) => text.replace('fastcgi_read_timeout 90s;', 'fastcgi_read_timeout 120s;'),
      LAB_SITE_ENABLED,
    )
    const applied = await applyHostPlan(
      transport,
      hostPlan(host, [site], [nginxAction('reload')], [fileFingerprint(site)]),
      labApplyOptions(host),
    )
    expect(applied.status).toBe('applied')
    const workers = (await servicePids(host)).nginxWorkers

    const undone = await rollbackLast(transport, {owner: 'tester@lab-client'})

    expect(undone).toMatchObject({
      status: 'undone',
      undid: applied.txid,
      note: `rolled back transaction ${applied.txid}: restored ${LAB_SITE_AVAILABLE}`,
    })
    expect(await host.readFile(LAB_SITE_AVAILABLE)).toBe(site.before)
    expect((await fileFacts(host, LAB_SITE_ENABLED)).symlink).toBe(true)
    expect((await servicePids(host)).nginxWorkers.filter((pid) => workers.includes(pid))).toEqual([])
    expect(await journalFile(host, applied.txid!, 'undone-by')).toBe(`${undone.txid}\n`)
    const report = await attachTransaction(transport, undone.txid!)
    expect(report).toMatchObject({running: false, interrupted: false, result: {status: 'undone', undid: applied.txid}})
  })
})
