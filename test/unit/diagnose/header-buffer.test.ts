import {describe, expect, it} from 'vitest'

import {planBuffers} from '../../../src/remedy/fastcgi-buffers.js'
import type {HostSnapshot} from '../../../src/model/snapshot.js'
import {parseNginxDump, type NginxConfig} from '../../../src/nginx/index.js'
import {DEFAULT_LOCAL_TIME, snapshotFromLayout} from '../../support/snapshot-from-layout.js'
import {captured, minutesBefore, restamp} from './support/captured-logs.js'
import {changeOf, fastcgiAt, findingsOf, lineChanges, nginxAfter, onlyFinding, planFor} from './support/pipeline.js'

const TOO_BIG = /upstream sent too big header/
const recent = minutesBefore(DEFAULT_LOCAL_TIME, 2)
const DEBIAN_SITE = '/etc/nginx/sites-enabled/default'
const DEBIAN_SITE_FILE = '/etc/nginx/sites-available/default'

/** The real line, as nginx writes it for another upstream / server block. */
function tooBigHeader(upstream?: string, server?: string): string {
  const [line] = restamp(captured('nginx-error-mixed.log', TOO_BIG), recent)
  let text = line!
  if (upstream !== undefined) text = text.replace('unix:/run/php/php8.2-fpm.sock:', upstream)
  if (server !== undefined) text = text.replace('server: ,', `server: ${server},`)
  return `${text}\n`
}

function configOf(snapshot: HostSnapshot): NginxConfig {
  if (!snapshot.nginx.present) throw new Error('no nginx')
  return parseNginxDump(snapshot.nginx.configDump.stdout)
}

/** nginx -t's checks on the FastCGI buffers (ngx_http_fastcgi_merge_loc_conf). */
function expectNginxAccepts(at: ReturnType<typeof fastcgiAt>[number]): void {
  const one = at.buffers.size
  expect(at.buffers.count).toBeGreaterThanOrEqual(2)
  expect(at.busy).toBeGreaterThanOrEqual(Math.max(at.bufferSize, one))
  expect(at.busy).toBeLessThanOrEqual(at.buffers.count * one - one)
}

describe('header-buffer', () => {
  describe('planBuffers', () => {
    const KB = 1024
    const grid = [4, 8, 16, 32, 128, 256].flatMap((bufferKb) =>
      [
        [8, 4],
        [8, 8],
        [16, 16],
        [4, 64],
        [2, 4],
      ].flatMap(([count, sizeKb]) =>
        [undefined, 8, 48, 200].map((busyKb) => ({
          bufferSize: bufferKb * KB,
          buffers: {count: count!, size: sizeKb! * KB},
          busy: busyKb === undefined ? undefined : busyKb * KB,
        })),
      ),
    )

    it.each(grid)(
      'buffer_size $bufferSize, buffers $buffers.count × $buffers.size, busy $busy → a config nginx -t accepts',
      (current) => {
        const plan = planBuffers(current)
        const buffers = plan.buffers ?? current.buffers
        const busy = plan.busy ?? current.busy ?? 2 * Math.max(plan.bufferSize, buffers.size)
        expect(plan.bufferSize).toBeGreaterThanOrEqual(Math.min(current.bufferSize * 2, 256 * KB))
        expect(buffers.count).toBeGreaterThanOrEqual(2)
        expect(busy).toBeGreaterThanOrEqual(Math.max(plan.bufferSize, buffers.size))
        expect(busy).toBeLessThanOrEqual((buffers.count - 1) * buffers.size)
        if (plan.buffers)
          expect(plan.buffers.count * plan.buffers.size).toBeGreaterThan(current.buffers.count * current.buffers.size)
      },
    )

    it('leaves fastcgi_buffers and a written busy size alone when they already fit the new buffer size', () => {
      expect(planBuffers({bufferSize: 32 * KB, buffers: {count: 16, size: 16 * KB}, busy: undefined})).toEqual({
        bufferSize: 64 * KB,
      })
      expect(planBuffers({bufferSize: 32 * KB, buffers: {count: 16, size: 16 * KB}, busy: 200 * KB})).toEqual({
        bufferSize: 64 * KB,
      })
    })

    it('raises a written busy size that falls below the new buffer size instead of growing the buffers', () => {
      expect(planBuffers({bufferSize: 32 * KB, buffers: {count: 16, size: 16 * KB}, busy: 48 * KB})).toEqual({
        bufferSize: 64 * KB,
        busy: 128 * KB,
      })
    })
  })

  describe('Debian: default buffers, "upstream sent too big header" (real capture)', () => {
    const snapshot = snapshotFromLayout('debian-php82', {nginxLog: tooBigHeader()})
    const plan = planFor(snapshot)
    const [before] = fastcgiAt(configOf(snapshot), DEBIAN_SITE)
    const [after] = fastcgiAt(nginxAfter(snapshot, plan), DEBIAN_SITE)

    it('is critical and names the buffer size in force', () => {
      const finding = onlyFinding(plan, 'header-buffer')
      expect(finding.severity).toBe('critical')
      expect(finding.summary).toContain(
        `larger than fastcgi_buffer_size ${before!.bufferSize / 1024}k: 1 request(s) answered 502`,
      )
      expect(finding.evidence).toContainEqual({
        kind: 'config',
        text: `fastcgi_buffer_size = ${before!.bufferSize / 1024}k (default)`,
      })
    })

    it('inserts a larger fastcgi_buffer_size into the PHP location block of the sites-available file', () => {
      expect(after!.bufferSize).toBeGreaterThan(before!.bufferSize)
      const source = after!.settings.fastcgi_buffer_size.source
      if (source === 'default') throw new Error('still the default')
      expect(source.file).toBe(DEBIAN_SITE)
      expect(source.line).toBeGreaterThan(after!.pass.location!.line)
      expect(source.line).toBeLessThan(after!.pass.line)
      expect(plan.changes.map((change) => [change.path, change.viaSymlink])).toEqual([[DEBIAN_SITE_FILE, DEBIAN_SITE]])
    })

    it("the edited config passes nginx's own buffer checks", () => {
      expectNginxAccepts(after!)
      // The defaults would not: busy (2 × 32k) > 7 × 4k. So fastcgi_buffers has to grow too.
      expect(after!.buffers.size * after!.buffers.count).toBeGreaterThan(before!.buffers.size * before!.buffers.count)
    })

    it('only adds lines, and no fastcgi_busy_buffers_size nginx derives by itself', () => {
      const {removed, added} = lineChanges(
        changeOf(plan, DEBIAN_SITE_FILE).before,
        changeOf(plan, DEBIAN_SITE_FILE).after,
      )
      expect(removed).toEqual([])
      expect(added.map((line) => line.trim().split(' ')[0]).sort()).toEqual(['fastcgi_buffer_size', 'fastcgi_buffers'])
      expect(after!.settings.fastcgi_busy_buffers_size.source).toBe('default')
    })

    it('reloads nginx', () => {
      expect(plan.actions.map(({service, action}) => ({service, action}))).toEqual([
        {service: 'nginx', action: 'reload'},
      ])
    })
  })

  it('RHEL: the location comes from default.d/php.conf (included in the server); the edit lands there', () => {
    const snapshot = snapshotFromLayout('rhel-remi', {nginxLog: tooBigHeader('unix:/run/php-fpm/www.sock:')})
    const plan = planFor(snapshot)
    onlyFinding(plan, 'header-buffer')
    expect(plan.changes.map((change) => change.path)).toEqual(['/etc/nginx/default.d/php.conf'])
    const [after] = fastcgiAt(nginxAfter(snapshot, plan), '/etc/nginx/default.d/php.conf')
    expect(after!.bufferSize).toBeGreaterThan(
      fastcgiAt(configOf(snapshot), '/etc/nginx/default.d/php.conf')[0]!.bufferSize,
    )
    expectNginxAccepts(after!)
  })

  describe('a fastcgi_buffer_size already set at server level', () => {
    const snapshot = snapshotFromLayout('debian-php82', {
      nginxLog: tooBigHeader(),
      files: {
        [DEBIAN_SITE]: (text) => text.replace('\tserver_name _;\n', '\tserver_name _;\n\tfastcgi_buffer_size 8k;\n'),
      },
    })
    const plan = planFor(snapshot)
    const [before] = fastcgiAt(configOf(snapshot), DEBIAN_SITE)

    it('is raised at that line', () => {
      const source = before!.settings.fastcgi_buffer_size.source
      if (source === 'default') throw new Error('the fixture edit did not take')
      const [after] = fastcgiAt(nginxAfter(snapshot, plan), DEBIAN_SITE)
      expect(after!.settings.fastcgi_buffer_size.source).toEqual(source)
      expect(after!.bufferSize).toBeGreaterThan(before!.bufferSize)
      expectNginxAccepts(after!)
      const {removed, added} = lineChanges(
        changeOf(plan, DEBIAN_SITE_FILE).before,
        changeOf(plan, DEBIAN_SITE_FILE).after,
      )
      expect(removed).toEqual(['\tfastcgi_buffer_size 8k;\n'])
      expect(added).toContain(`\tfastcgi_buffer_size ${after!.bufferSize / 1024}k;\n`)
    })
  })

  describe('debian-multi-php: buffers tuned at http level in conf.d/fastcgi-tuning.conf', () => {
    const tuning = '/etc/nginx/conf.d/fastcgi-tuning.conf'
    const shopSite = '/etc/nginx/sites-enabled/shop.example.com'
    const line = tooBigHeader('unix:/run/php/php8.2-fpm-shop.sock:', 'shop.example.com')

    it('the shop site’s too-big header raises the http-level value in place; the buffers already fit', () => {
      const snapshot = snapshotFromLayout('debian-multi-php', {nginxLog: line})
      const plan = planFor(snapshot)
      expect(onlyFinding(plan, 'header-buffer').scope.nginx?.file).toBe(shopSite)
      expect(plan.changes.map((change) => change.path)).toEqual([tuning])
      const {removed, added} = lineChanges(changeOf(plan, tuning).before, changeOf(plan, tuning).after)
      expect(removed).toEqual(['fastcgi_buffer_size 32k;\n'])
      expect(added).toHaveLength(1)
      const [after] = fastcgiAt(nginxAfter(snapshot, plan), shopSite)
      expect(after!.bufferSize).toBeGreaterThan(32 * 1024)
      expectNginxAccepts(after!)
    })

    it('a written fastcgi_busy_buffers_size that the new size would break is raised at its line', () => {
      const snapshot = snapshotFromLayout('debian-multi-php', {
        nginxLog: line,
        files: {[tuning]: (text) => `${text}fastcgi_busy_buffers_size 48k;\n`},
      })
      const plan = planFor(snapshot)
      const [after] = fastcgiAt(nginxAfter(snapshot, plan), shopSite)
      expectNginxAccepts(after!)
      const {removed} = lineChanges(changeOf(plan, tuning).before, changeOf(plan, tuning).after)
      expect(removed).toEqual(['fastcgi_buffer_size 32k;\n', 'fastcgi_busy_buffers_size 48k;\n'])
    })
  })

  describe('negative', () => {
    it.each(['debian-php82', 'rhel-remi', 'alpine-php82'] as const)('healthy %s: none', (layout) => {
      expect(findingsOf(planFor(snapshotFromLayout(layout)), 'header-buffer')).toEqual([])
    })

    it('a too-big header from an upstream this host does not send to is not about its sites', () => {
      expect(
        findingsOf(
          planFor(snapshotFromLayout('debian-php82', {nginxLog: tooBigHeader('127.0.0.1:19999')})),
          'header-buffer',
        ),
      ).toEqual([])
    })

    it('a too-big header of another server block does not touch this one', () => {
      const plan = planFor(
        snapshotFromLayout('debian-multi-php', {
          nginxLog: tooBigHeader('unix:/run/php/php8.1-fpm.sock:', 'shop.example.com'),
        }),
      )
      expect(findingsOf(plan, 'header-buffer')).toEqual([])
    })
  })
})
