import {describe, expect, it} from 'vitest'

import {DEFAULT_LOCAL_TIME, chown, dirIn, snapshotFromLayout, socketIn} from '../../support/snapshot-from-layout.js'
import {captured, lines, minutesBefore, restamp} from './support/captured-logs.js'
import {changeOf, findingsOf, lineChanges, onlyFinding, planFor, poolAfter} from './support/pipeline.js'

const DEBIAN_SOCKET = '/run/php/php8.2-fpm.sock'
const DEBIAN_POOL = '/etc/php/8.2/fpm/pool.d/www.conf'
const RHEL_POOL = '/etc/php-fpm.d/www.conf'
const denied = restamp(
  captured('nginx-error-mixed.log', /\(13: Permission denied\)/),
  minutesBefore(DEFAULT_LOCAL_TIME, 1),
)

describe('socket-permission', () => {
  describe('Debian: listen.owner/group unset and listen.mode 0600 → a root:root 0600 socket', () => {
    const snapshot = snapshotFromLayout('debian-php82', {
      fpm: [
        {pool: 'www', key: 'listen.owner', value: undefined},
        {pool: 'www', key: 'listen.group', value: undefined},
        {pool: 'www', key: 'listen.mode', value: '0600'},
      ],
      nginxLog: lines(denied),
    })
    const plan = planFor(snapshot)

    it('the socket php-fpm creates is root:root 0600 and www-data cannot connect', () => {
      expect(socketIn(snapshot, DEBIAN_SOCKET)).toMatchObject({owner: 'root', group: 'root', mode: '0600'})
      const finding = onlyFinding(plan, 'socket-permission')
      expect(finding.severity).toBe('critical')
      expect(finding.summary).toContain(`nginx (user www-data) cannot connect to ${DEBIAN_SOCKET}`)
      expect(finding.evidence).toContainEqual(
        expect.objectContaining({kind: 'stat', text: `${DEBIAN_SOCKET}: socket root:root 0600`}),
      )
      expect(finding.evidence.filter((item) => item.kind === 'log').map((item) => item.text)).toEqual(denied)
    })

    it('sets listen.owner, listen.group to the nginx worker and listen.mode 0660 — never 0666', () => {
      const pool = poolAfter(snapshot, plan, 'php8.2-fpm', 'www')
      expect(pool.listenOwner.value).toBe('www-data')
      expect(pool.listenGroup.value).toBe('www-data')
      expect(pool.listenMode.value).toBe(0o660)
      const change = changeOf(plan, DEBIAN_POOL)
      const {removed, added} = lineChanges(change.before, change.after)
      expect(removed).toEqual(['listen.mode = 0600\n'])
      expect([...added].sort()).toEqual([
        'listen.group = www-data\n',
        'listen.mode = 0660\n',
        'listen.owner = www-data\n',
      ])
    })

    it('restarts php-fpm (the socket is only re-created on restart), nginx is left alone', () => {
      expect(plan.actions.map(({service, action}) => ({service, action}))).toEqual([
        {service: 'php8.2-fpm', action: 'restart'},
      ])
    })
  })

  it('Debian: the config is right but the socket was chowned by hand → restart re-creates it, no edit', () => {
    const snapshot = snapshotFromLayout('debian-php82', {
      nginxLog: lines(denied),
      edit: (host) => chown(host, socketIn(host, DEBIAN_SOCKET), 'root', 'root', '0600'),
    })
    const plan = planFor(snapshot)
    const finding = onlyFinding(plan, 'socket-permission')
    expect(finding.summary).toContain('the pool config already allows it, the socket on disk differs')
    expect(plan.changes).toEqual([])
    expect(plan.actions.map(({service, action}) => ({service, action}))).toEqual([
      {service: 'php8.2-fpm', action: 'restart'},
    ])
  })

  describe('RHEL: listen.acl_users without nginx', () => {
    const snapshot = snapshotFromLayout('rhel-remi', {fpm: [{pool: 'www', key: 'listen.acl_users', value: 'apache'}]})
    const plan = planFor(snapshot)

    it('the socket carries an ACL for apache only; nginx is refused', () => {
      expect(socketIn(snapshot, '/run/php-fpm/www.sock').acl).toContain('user:apache:rw-')
      const finding = onlyFinding(plan, 'socket-permission')
      expect(finding.summary).toContain('nginx (user nginx) cannot connect to /run/php-fpm/www.sock')
      expect(finding.summary).toContain('listen.acl_users=apache is set, so listen.owner/listen.group are ignored')
    })

    it('appends nginx to listen.acl_users and does not touch listen.owner/group (php-fpm ignores them under ACLs)', () => {
      const pool = poolAfter(snapshot, plan, 'php-fpm', 'www')
      expect(pool.listenAclUsers.value).toEqual(['apache', 'nginx'])
      const {removed, added} = lineChanges(changeOf(plan, RHEL_POOL).before, changeOf(plan, RHEL_POOL).after)
      expect(removed).toEqual(['listen.acl_users = apache\n'])
      expect(added).toEqual(['listen.acl_users = apache,nginx\n'])
      expect(pool.listenOwner.source).toBe('default')
      expect(pool.listenGroup.source).toBe('default')
    })

    it('restarts php-fpm', () => {
      expect(plan.actions.map(({service, action}) => ({service, action}))).toEqual([
        {service: 'php-fpm', action: 'restart'},
      ])
    })
  })

  describe('nginx runs as nobody, the socket is www-data:www-data 0660', () => {
    const snapshot = snapshotFromLayout('debian-php82', {
      files: {'/etc/nginx/nginx.conf': (text) => text.replace(/^user www-data;$/m, 'user nobody;')},
    })
    const plan = planFor(snapshot)

    it('the worker processes run as nobody and cannot connect', () => {
      expect(
        snapshot.nginx.present &&
          snapshot.nginx.processes.filter((process) => process.kind === 'nginx-worker').map((process) => process.user),
      ).toEqual(['nobody', 'nobody'])
      expect(onlyFinding(plan, 'socket-permission').summary).toContain('nginx (user nobody) cannot connect')
    })

    it('hands the socket to nobody and its primary group', () => {
      const nobody = snapshot.users.find((user) => user.name === 'nobody')!
      const primary = snapshot.groups.find((group) => group.gid === nobody.gid)!.name
      const pool = poolAfter(snapshot, plan, 'php8.2-fpm', 'www')
      expect([pool.listenOwner.value, pool.listenGroup.value]).toEqual(['nobody', primary])
      const {removed, added} = lineChanges(changeOf(plan, DEBIAN_POOL).before, changeOf(plan, DEBIAN_POOL).after)
      expect(removed).toEqual(['listen.owner = www-data\n', 'listen.group = www-data\n'])
      expect(added).toEqual(['listen.owner = nobody\n', `listen.group = ${primary}\n`])
    })
  })

  it('a parent directory without search permission and nowhere known to move the socket → a finding, no edit', () => {
    const snapshot = snapshotFromLayout('debian-php82', {
      edit: (host) => chown(host, dirIn(host, '/run/php'), 'root', 'root', '0700'),
    })
    const plan = planFor(snapshot)
    const finding = onlyFinding(plan, 'socket-permission')
    expect(finding.summary).toContain('www-data cannot search directory /run/php')
    expect(finding.summary).toContain(
      'the socket cannot be moved: no socket directory on this host is known to be reachable',
    )
    expect(finding.evidence).toContainEqual(
      expect.objectContaining({kind: 'stat', text: '/run/php: directory root:root 0700'}),
    )
    expect(finding.remedies).toEqual([])
    expect(plan.changes).toEqual([])
    expect(plan.actions).toEqual([])
    expect(plan.status).toBe('unchanged')
    expect(plan.notes.some((note) => note.startsWith('socket-permission'))).toBe(true)
  })

  describe('a socket in a directory the workers cannot search moves where the host’s other pools keep theirs', () => {
    const SHOP_SITE = '/etc/nginx/sites-enabled/shop.example.com'
    const HIDDEN = '/run/php-shop/php8.2-fpm-shop.sock'
    const snapshot = snapshotFromLayout('debian-multi-php', {
      fpm: [{service: 'php8.2-fpm', pool: 'shop', key: 'listen', value: HIDDEN}],
      files: {[SHOP_SITE]: (text) => text.replace('unix:/run/php/php8.2-fpm-shop.sock', `unix:${HIDDEN}`)},
      edit: (host) => chown(host, dirIn(host, '/run/php-shop'), 'root', 'root', '0700'),
    })
    const plan = planFor(snapshot)
    const finding = onlyFinding(plan, 'socket-permission')

    it('moves the pool’s listen to /run/php and points the site at it, in one plan', () => {
      expect(finding.summary).toContain('www-data cannot search directory /run/php-shop')
      expect(finding.summary).toContain("moving the pool's socket to /run/php/php8.2-fpm-shop.sock")
      expect(poolAfter(snapshot, plan, 'php8.2-fpm', 'shop').listen.value).toEqual({
        kind: 'unix',
        path: '/run/php/php8.2-fpm-shop.sock',
      })
      const site = plan.changes.find((change) => change.viaSymlink === SHOP_SITE || change.path === SHOP_SITE)!
      expect(lineChanges(site.before, site.after)).toEqual({
        removed: [`\t\tfastcgi_pass unix:${HIDDEN};\n`],
        added: ['\t\tfastcgi_pass unix:/run/php/php8.2-fpm-shop.sock;\n'],
      })
    })

    it('restarts php-fpm before reloading nginx, and apply waits for the socket at its new path', () => {
      expect(plan.actions.map((action) => `${action.service} ${action.action}`)).toEqual([
        'php8.2-fpm restart',
        'nginx reload',
      ])
      const expected = plan.verify!.fpm['/usr/sbin/php-fpm8.2']!.expect!.map((entry) => entry.socket?.path)
      expect(expected).toContain('/run/php/php8.2-fpm-shop.sock')
      expect(expected).not.toContain(HIDDEN)
    })
  })

  it('with no other pool, the socket moves to the install’s runtime directory (where its pid file is)', () => {
    const hidden = '/run/php-private/php8.2-fpm.sock'
    const snapshot = snapshotFromLayout('debian-php82', {
      fpm: [{pool: 'www', key: 'listen', value: hidden}],
      files: {'/etc/nginx/sites-enabled/default': (text) => text.replace(DEBIAN_SOCKET, hidden)},
      edit: (host) => {
        chown(host, dirIn(host, '/run/php-private'), 'root', 'root', '0700')
        host.fpmInstalls[0]!.service.pidFiles.push({
          path: '/run/php/php8.2-fpm.pid',
          exists: true,
          pid: 2000,
          alive: true,
        })
      },
    })
    const plan = planFor(snapshot)
    expect(onlyFinding(plan, 'socket-permission').summary).toContain(`moving the pool's socket to ${DEBIAN_SOCKET}`)
    expect(poolAfter(snapshot, plan, 'php8.2-fpm', 'www').listen.value).toEqual({kind: 'unix', path: DEBIAN_SOCKET})
  })

  describe('negative', () => {
    it.each(['debian-php82', 'debian-multi-php', 'rhel-remi'] as const)(
      'healthy %s: the workers can connect to every socket',
      (layout) => {
        expect(findingsOf(planFor(snapshotFromLayout(layout)), 'socket-permission')).toEqual([])
      },
    )

    it('a group-writable socket of a group nginx is in is fine', () => {
      const snapshot = snapshotFromLayout('debian-php82', {
        edit: (host) => {
          host.groups.push({name: 'php-sock', gid: 990, members: ['www-data']})
          chown(host, socketIn(host, DEBIAN_SOCKET), 'root', 'php-sock', '0660')
        },
      })
      expect(findingsOf(planFor(snapshot), 'socket-permission')).toEqual([])
    })

    it('a stopped pool is fpm-down, not a permission problem', () => {
      const plan = planFor(
        snapshotFromLayout('debian-php82', {
          stopped: ['php8.2-fpm'],
          staleSockets: true,
          edit: (host) => chown(host, socketIn(host, DEBIAN_SOCKET), 'root', 'root', '0600'),
        }),
      )
      expect(findingsOf(plan, 'socket-permission')).toEqual([])
      expect(findingsOf(plan, 'fpm-down')).toHaveLength(1)
    })
  })
})
