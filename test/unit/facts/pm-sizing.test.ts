import {readFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'

import {affordableChildren, consistentPm, pmViolation} from '../../../src/plan/pm-sizing.js'

const realMessage = (name: string) =>
  readFileSync(new URL(`../../../fixtures/logs/${name}`, import.meta.url), 'utf8').split('\n')[0]!.replace(/^.*ALERT: \[pool www\] /, '')

describe('pm constraints', () => {
  it('words violations exactly as the real php-fpm 8.2 did', () => {
    expect(pmViolation({pm: 'dynamic', maxChildren: 0, minSpare: 1, maxSpare: 2})).toBe(realMessage('php-fpm-t-max-children-zero.txt'))
    expect(pmViolation({pm: 'dynamic', maxChildren: 1, minSpare: 1, maxSpare: 2})).toBe(realMessage('php-fpm-t-spare-gt-max.txt'))
  })

  it('checks spare ordering and the derived start_servers', () => {
    expect(pmViolation({pm: 'dynamic', maxChildren: 10, minSpare: 5, maxSpare: 3})).toBe('pm.max_spare_servers(3) must not be less than pm.min_spare_servers(5)')
    expect(pmViolation({pm: 'dynamic', maxChildren: 10, minSpare: 2, maxSpare: 4, startServers: 8})).toMatch(/^pm.start_servers\(8\)/)
    expect(pmViolation({pm: 'dynamic', maxChildren: 5, minSpare: 1, maxSpare: 3})).toBeUndefined()
    expect(pmViolation({pm: 'ondemand', maxChildren: 5})).toBeUndefined()
    expect(pmViolation({pm: 'bogus', maxChildren: 5})).toMatch(/process manager is missing/)
  })

  it('repairs settings minimally and always to something php-fpm accepts', () => {
    const broken = {pm: 'dynamic', maxChildren: 1, minSpare: 1, maxSpare: 2, startServers: 2}
    const fixed = consistentPm(broken, 1)
    expect(fixed).toEqual({'pm.max_spare_servers': 1, 'pm.start_servers': 1})
    for (const children of [1, 2, 3, 7, 40]) {
      for (const settings of [broken, {pm: 'dynamic', maxChildren: 50, minSpare: 20, maxSpare: 35, startServers: 20}]) {
        const change = consistentPm(settings, children)
        const after = {
          ...settings,
          maxChildren: change['pm.max_children'] ?? settings.maxChildren,
          minSpare: change['pm.min_spare_servers'] ?? settings.minSpare,
          maxSpare: change['pm.max_spare_servers'] ?? settings.maxSpare,
          startServers: change['pm.start_servers'] ?? settings.startServers,
        }
        expect(pmViolation(after), JSON.stringify({children, settings, change})).toBeUndefined()
      }
    }
    expect(consistentPm({pm: 'static', maxChildren: 5}, 5)).toEqual({})
  })

  it('sizes max_children from memory with a reserve', () => {
    const mib = 1024
    // 4 GiB host, 2 GiB available, 5 workers of 60 MiB: (2048 + 300 − 409.6) × 0.9 / 60 ≈ 29
    expect(affordableChildren({totalKb: 4096 * mib, availableKb: 2048 * mib, currentWorkersKb: 300 * mib, perWorkerKb: 60 * mib})).toBe(29)
    expect(affordableChildren({totalKb: 1024 * mib, availableKb: 100 * mib, currentWorkersKb: 0, perWorkerKb: 60 * mib})).toBe(0)
  })
})
