import {describe, expect, it} from 'vitest'

import type {Pairing} from '../../../src/facts/pairing.js'
import type {FastcgiSite} from '../../../src/model/facts.js'
import {retarget} from '../../../src/remedy/retarget.js'

const SITE = '/etc/nginx/sites-enabled/tenants'
const MAPS = '/etc/nginx/conf.d/backends.conf'
const OLD = '/run/php/php8.1-fpm.sock'
const NEW = {kind: 'unix', path: '/run/php/php8.2-fpm.sock'} as const

type Source = NonNullable<FastcgiSite['variable']>['sources'][number]

/** `fastcgi_pass $backend` given by the sources, sending to OLD (and wherever else they say). */
function pairingOf(sources: Source[], others = 0): Pick<Pairing, 'site' | 'target'> {
  const target = {kind: 'unix', path: OLD, file: SITE, line: 9, directive: 'fastcgi_pass'} as const
  const site = {
    file: SITE,
    line: 9,
    raw: '$backend',
    via: 'variable',
    variable: {expr: '$backend', sources},
    targets: [target, ...Array.from({length: others}, () => ({...target, path: '/run/php/php7.4-fpm.sock'}))],
  } as unknown as FastcgiSite
  return {site, target}
}

const map: Source = {
  variable: '$backend',
  kind: 'map',
  file: MAPS,
  line: 1,
  entries: [
    {key: 'default', value: `unix:${OLD}`, file: MAPS, line: 2},
    {key: 'legacy.example.com', value: 'unix:/run/php/php7.4-fpm.sock', file: MAPS, line: 3},
    {key: 'old.example.com', value: `unix:/var/run/php/php8.1-fpm.sock`, file: MAPS, line: 4},
  ],
}

describe('retarget: pointing nginx’s references to an old pool address at a new one', () => {
  it('a repair (sole-value) leaves a map alone: its other values may be meant', () => {
    expect(retarget(pairingOf([map], 1), {to: NEW, reason: 'repair', reach: 'sole-value'})).toEqual({
      refused: `$backend comes from a map at ${MAPS}:1, which gives other requests other values`,
    })
  })

  it('a move (every-value) rewrites each map value naming the old address, in either spelling, and only those', () => {
    const edit = retarget(pairingOf([map], 1), {to: NEW, reason: 'move', reach: 'every-value'})
    expect(edit).toEqual({
      remedies: [2, 4].map((line) => ({
        kind: 'nginx-set',
        file: MAPS,
        line,
        directive: line === 2 ? 'default' : 'old.example.com',
        args: [`unix:${NEW.path}`],
        reason: 'move',
      })),
    })
  })

  it('rewrites the set that gives the variable the old address, whichever the reach', () => {
    const set: Source = {variable: '$backend', kind: 'set', file: SITE, line: 5, value: `unix:${OLD}`}
    for (const reach of ['sole-value', 'every-value'] as const)
      expect(retarget(pairingOf([set]), {to: NEW, reason: reach, reach})).toEqual({
        remedies: [
          {
            kind: 'nginx-set',
            file: SITE,
            line: 5,
            directive: 'set',
            args: ['$backend', `unix:${NEW.path}`],
            reason: reach,
          },
        ],
      })
  })

  it('a move refuses when no written value names the old address by itself', () => {
    const pairing = pairingOf([{variable: '$version', kind: 'set', file: SITE, line: 5, value: '8.1'}])
    pairing.site.variable!.expr = 'unix:/run/php/php$version-fpm.sock'
    expect(retarget(pairing, {to: NEW, reason: 'move', reach: 'every-value'})).toHaveProperty('refused')
    expect(retarget(pairing, {to: NEW, reason: 'repair', reach: 'sole-value'})).toEqual({
      refused: 'the address is built from variables (fastcgi_pass unix:/run/php/php$version-fpm.sock)',
    })
  })
})
