import {describe, expect, it} from 'vitest'

import {
  effectivePool,
  parseFpmFiles,
  parseFpmTt,
  pmSettingsOf,
  startServersNotice,
  validatePm,
  validatePmSettings,
  type FpmFile,
  type PmCheck,
} from '../../../src/fpm/index.js'
import {fileContent, fixtureText, fixtureTree} from './fixture-tree.js'

const MAIN = '/etc/php/8.2/fpm/php-fpm.conf'
const WWW = '/etc/php/8.2/fpm/pool.d/www.conf'

/** The fpm-invalid tree with one of its pm-checks pool files installed as www.conf (how it was captured). */
function variant(name: string): FpmFile[] {
  const tree = fixtureTree('fpm-invalid', 'etc')
  const content = fileContent(tree, `/etc/php/8.2/fpm/pm-checks/${name}.conf`)
  return tree.map((file) => (file.path === WWW ? {path: WWW, content} : file))
}

function poolOf(files: FpmFile[]) {
  return effectivePool(parseFpmFiles(files, MAIN), undefined, 'www', {phpVersion: '8.2.36'})
}

/** The ALERT php-fpm 8.2 printed for the same files. */
function realAlert(capture: string): string {
  const alert = parseFpmTt(fixtureText('fpm-invalid', capture)).errors.find((line) => line.startsWith('ALERT: '))
  if (!alert) throw new Error(`no ALERT in ${capture}`)
  return alert.slice('ALERT: '.length)
}

describe('validatePm against real php-fpm 8.2 refusals', () => {
  it.each<[string, PmCheck]>([
    ['missing-pm', 'pm-missing'],
    ['max-children-zero', 'max-children'],
    ['min-spare-zero', 'min-spare-servers'],
    ['max-spare-zero', 'max-spare-servers'],
    ['max-spare-below-min', 'max-spare-below-min-spare'],
    ['start-out-of-range', 'start-servers-range'],
    ['max-spawn-rate-zero', 'max-spawn-rate'],
    ['idle-timeout-zero', 'process-idle-timeout'],
  ])('%s: same message as php-fpm, check %s', (name, check) => {
    const violation = validatePm(poolOf(variant(name)))
    expect(violation).toMatchObject({check, level: 'ALERT'})
    expect(violation!.message).toBe(realAlert(`php-fpm-tt-pm-${name}.txt`))
  })

  it('explains the stock-looking pool php-fpm refuses (spare servers above max_children)', () => {
    const pool = poolOf(fixtureTree('fpm-invalid', 'etc'))
    const violation = validatePm(pool)
    expect(violation?.message).toBe(realAlert('php-fpm-tt.txt'))
    expect(violation?.keys).toEqual(['pm.min_spare_servers', 'pm.max_spare_servers', 'pm.max_children'])
    const lines = violation!.keys.map((key) => pool.settings[key]!.source)
    expect(lines.every((source) => typeof source === 'object' && source.file === WWW)).toBe(true)
  })

  it('accepts what php-fpm accepts, and predicts its start_servers notice', () => {
    const unset = poolOf(variant('start-unset'))
    expect(validatePm(unset)).toBeUndefined()
    const real = parseFpmTt(fixtureText('fpm-invalid', 'php-fpm-tt-pm-start-unset.txt'))
    const notice = real.messages.find((message) => message.message.includes('pm.start_servers is not set'))!.message
    expect(startServersNotice(pmSettingsOf(unset))).toBe(notice)
    expect(unset.startServers).toEqual({value: Number(real.pools[0]!.values['pm.start_servers']), source: 'default'})
    for (const layout of ['debian-php82', 'rhel-remi', 'docker-php-fpm', 'alpine-php82']) {
      const main =
        {
          'rhel-remi': '/etc/php-fpm.conf',
          'docker-php-fpm': '/usr/local/etc/php-fpm.conf',
          'alpine-php82': '/etc/php82/php-fpm.conf',
        }[layout] ?? MAIN
      const source = parseFpmFiles(fixtureTree(layout, layout === 'docker-php-fpm' ? 'usr' : 'etc'), main)
      expect(validatePm(effectivePool(source, undefined, 'www')), layout).toBeUndefined()
      expect(startServersNotice(pmSettingsOf(effectivePool(source, undefined, 'www'))), layout).toBeUndefined()
    }
  })

  it('checks in php-fpm order: the first failing check wins', () => {
    const both = validatePmSettings({
      name: 'www',
      pm: 'dynamic',
      maxChildren: 10,
      minSpareServers: 4,
      maxSpareServers: 2,
      startServers: 3,
    })
    expect(both?.check).toBe('max-spare-below-min-spare')
    const spawnAndStart = validatePmSettings({
      name: 'www',
      pm: 'dynamic',
      maxChildren: 10,
      minSpareServers: 2,
      maxSpareServers: 4,
      startServers: 9,
      maxSpawnRate: 0,
    })
    expect(spawnAndStart?.check).toBe('start-servers-range')
    expect(validatePmSettings({name: 'www', pm: 'static', maxChildren: 5, maxSpawnRate: 0})).toBeUndefined()
  })
})
