import {describe, expect, it} from 'vitest'

import {validatePmSettings} from '../../../src/fpm/index.js'
import type {ProcessManager} from '../../../src/fpm/types.js'
import {affordableChildren, consistentPm, type PmNumbers} from '../../../src/fpm/pm-sizing.js'

const complaint = (numbers: PmNumbers) =>
  validatePmSettings({
    name: 'www',
    pm: numbers.pm as ProcessManager,
    maxChildren: numbers.maxChildren,
    startServers: numbers.startServers,
    minSpareServers: numbers.minSpare,
    maxSpareServers: numbers.maxSpare,
  })

describe('pm repairs', () => {
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
        expect(complaint(after), JSON.stringify({children, settings, change})).toBeUndefined()
      }
    }
    expect(consistentPm({pm: 'static', maxChildren: 5}, 5)).toEqual({})
  })

  it('sizes max_children from memory with a reserve', () => {
    const mib = 1024
    // 4 GiB host, 2 GiB available, 5 workers of 60 MiB: (2048 + 300 − 409.6) × 0.9 / 60 ≈ 29
    expect(
      affordableChildren({
        totalKb: 4096 * mib,
        availableKb: 2048 * mib,
        currentWorkersKb: 300 * mib,
        perWorkerKb: 60 * mib,
      }),
    ).toBe(29)
    expect(
      affordableChildren({totalKb: 1024 * mib, availableKb: 100 * mib, currentWorkersKb: 0, perWorkerKb: 60 * mib}),
    ).toBe(0)
  })
})
