import {describe, expect, it} from 'vitest'

import {canConnectUnix, mayAccess, parentDirectories} from '../../../src/facts/access.js'
import type {PathStat, UserFact} from '../../../src/model/facts.js'

// Debian ids: www-data 33, nginx-ish user 101 in group 101, apache 48.
const groups: Record<string, number> = {root: 0, 'www-data': 33, nginx: 101, apache: 48, web: 2000}
const users: Record<string, number> = {root: 0, 'www-data': 33, nginx: 101, apache: 48}
const lookup = {gidOf: (name: string) => groups[name], uidOf: (name: string) => users[name]}
const wwwData: UserFact = {name: 'www-data', uid: 33, gid: 33, gids: [33]}
const nginx: UserFact = {name: 'nginx', uid: 101, gid: 101, gids: [101]}

const dir = (path: string, mode = 0o755): PathStat => ({path, exists: true, type: 'directory', uid: 0, gid: 0, mode})
const socket = (overrides: Partial<PathStat>): PathStat => ({
  path: '/run/php/php8.2-fpm.sock',
  exists: true,
  type: 'socket',
  uid: 33,
  gid: 33,
  owner: 'www-data',
  group: 'www-data',
  mode: 0o660,
  ...overrides,
})
const table = (...stats: PathStat[]) => new Map(stats.map((stat) => [stat.path, stat]))

describe('unix socket access', () => {
  it('lets the owning group in with Debian defaults and keeps others out', () => {
    const paths = table(dir('/'), dir('/run'), dir('/run/php'), socket({}))
    expect(canConnectUnix('/run/php/php8.2-fpm.sock', wwwData, paths, lookup).ok).toBe(true)
    const denied = canConnectUnix('/run/php/php8.2-fpm.sock', nginx, paths, lookup)
    expect(denied).toMatchObject({ok: false, path: '/run/php/php8.2-fpm.sock'})
    expect(denied.ok ? '' : denied.reason).toContain('other has ---')
  })

  it('refuses when a parent directory is not searchable', () => {
    const paths = table(dir('/'), dir('/run'), dir('/run/php', 0o750), socket({mode: 0o666}))
    const verdict = canConnectUnix('/run/php/php8.2-fpm.sock', nginx, paths, lookup)
    expect(verdict).toMatchObject({ok: false, path: '/run/php'})
  })

  it('follows RHEL acl_users: named user entries grant access, limited by the mask', () => {
    const acl = [
      {tag: 'user' as const, perms: 'rw-'},
      {tag: 'user' as const, qualifier: 'apache', perms: 'rw-'},
      {tag: 'user' as const, qualifier: 'nginx', perms: 'rw-'},
      {tag: 'group' as const, perms: '---'},
      {tag: 'mask' as const, perms: 'rw-'},
      {tag: 'other' as const, perms: '---'},
    ]
    const stat = socket({uid: 0, gid: 0, owner: 'root', group: 'root', acl})
    expect(mayAccess(stat, nginx, 'w', lookup).ok).toBe(true)
    expect(mayAccess(stat, wwwData, 'w', lookup).ok).toBe(false)
    const masked = socket({
      uid: 0,
      gid: 0,
      acl: acl.map((entry) => (entry.tag === 'mask' ? {...entry, perms: 'r--'} : entry)),
    })
    expect(mayAccess(masked, nginx, 'w', lookup).ok).toBe(false)
  })

  it('uses supplementary groups and named group entries', () => {
    const member: UserFact = {name: 'nginx', uid: 101, gid: 101, gids: [101, 2000]}
    expect(mayAccess(socket({gid: 2000, group: 'web'}), member, 'w', lookup).ok).toBe(true)
    const acl = [
      {tag: 'group' as const, qualifier: 'web', perms: 'rw-'},
      {tag: 'group' as const, perms: '---'},
      {tag: 'mask' as const, perms: 'rw-'},
    ]
    expect(mayAccess(socket({uid: 0, gid: 0, acl}), member, 'w', lookup).ok).toBe(true)
  })

  it('treats root as always allowed and a missing socket as a refusal', () => {
    const root: UserFact = {name: 'root', uid: 0, gid: 0, gids: [0]}
    expect(mayAccess(socket({mode: 0o600, uid: 33}), root, 'w', lookup).ok).toBe(true)
    expect(canConnectUnix('/run/php/x.sock', wwwData, table(dir('/')), lookup)).toMatchObject({
      ok: false,
      reason: '/run/php/x.sock does not exist',
    })
  })

  it('lists parent directories from the root down', () => {
    expect(parentDirectories('/run/php/a.sock')).toEqual(['/', '/run', '/run/php'])
  })
})
