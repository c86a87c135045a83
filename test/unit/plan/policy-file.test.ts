import {readFileSync} from 'node:fs'
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'

import {planBuffers} from '../../../src/remedy/fastcgi-buffers.js'
import {type FpmfixError} from '../../../src/errors.js'
import {DEFAULT_POLICY} from '../../../src/model/policy.js'
import {loadPolicy, parsePolicy} from '../../../src/plan/policy-file.js'
import {fpmfixError} from '../../support/fpmfix-error.js'
import {affordableChildren} from '../../../src/fpm/pm-sizing.js'

const shipped = readFileSync(new URL('../../../plans/default.ini', import.meta.url), 'utf8')

const policyError = (text: string): FpmfixError => fpmfixError(() => parsePolicy(text, 'fleet.ini'))

describe('policy files', () => {
  it('ships plans/default.ini with exactly the built-in values', () => {
    expect(parsePolicy(shipped, 'plans/default.ini', structuredClone({...DEFAULT_POLICY, windowMinutes: 1}))).toEqual(
      DEFAULT_POLICY,
    )
  })

  it('overrides only the keys a fleet file sets, reading comments and octal modes', () => {
    const policy = parsePolicy(
      '; tighter fleet\n[sizing]\nmax_growth_factor = 2 ; one doubling per plan\n[sockets]\nlisten_mode = 0600\n',
      'fleet.ini',
    )
    expect(policy.sizing).toEqual({...DEFAULT_POLICY.sizing, maxGrowthFactor: 2})
    expect(policy.sockets.listenMode).toBe(0o600)
    expect(policy.windowMinutes).toBe(DEFAULT_POLICY.windowMinutes)
  })

  it('refuses what it does not know and values out of range, naming the file and key', () => {
    expect(policyError('[sizng]\nreserve_percent = 5\n').message).toMatch(/^fleet.ini:1: unknown section \[sizng\]/)
    expect(policyError('[sizing]\nreserve = 5\n').message).toMatch(/unknown key reserve in \[sizing\].*reserve_percent/)
    expect(policyError('[sizing]\nreserve_percent = 95\n').message).toMatch(
      /reserve_percent = 95: expected a whole number from 0 to 90/,
    )
    expect(policyError('[diagnosis]\nwindow_minutes = soon\n').code).toBe('POLICY_INVALID')
    expect(policyError('[sockets]\nlisten_mode = 0666\n').message).toMatch(/grants access to every user/)
    expect(policyError('[sockets]\nlisten_mode = 0460\n').message).toMatch(/expected an octal mode from 0600 to 0770/)
    expect(policyError('[buffers]\nmin_buffer_size_kb = 512\nmax_buffer_size_kb = 64\n').message).toMatch(
      /min_buffer_size_kb is larger/,
    )
    expect(policyError('[timeouts]\nmax_read_timeout_seconds = 0\n').message).toMatch(
      /max_read_timeout_seconds = 0: expected a whole number from 1 to 86400/,
    )
    expect(parsePolicy('[timeouts]\nmax_read_timeout_seconds = 120\n', 'fleet.ini').timeouts).toEqual({
      maxReadTimeoutSeconds: 120,
      reloadWaitSeconds: 10,
    })
    expect(parsePolicy('[timeouts]\nreload_wait_seconds = 30\n', 'fleet.ini').timeouts.reloadWaitSeconds).toBe(30)
    expect(policyError('[timeouts]\nreload_wait_seconds = 0\n').message).toMatch(
      /reload_wait_seconds = 0: expected a whole number from 1 to 3600/,
    )
    expect(policyError('window_minutes = 5\n').message).toMatch(/outside a section/)
    expect(policyError('[sizing]\nreserve_percent = -1\n').exit).toBe(65)
  })

  it('loads a file from disk, and the built-in policy when none is given', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fpmfix-policy-'))
    writeFileSync(join(dir, 'p.ini'), '[diagnosis]\nwindow_minutes = 15\n')
    expect((await loadPolicy(join(dir, 'p.ini'))).windowMinutes).toBe(15)
    expect(await loadPolicy(undefined)).toBe(DEFAULT_POLICY)
    await expect(loadPolicy(join(dir, 'missing.ini'))).rejects.toMatchObject({code: 'POLICY_INVALID'})
  })

  it('changes what the planner proposes', () => {
    const budget = {totalKb: 8 << 20, availableKb: 4 << 20, currentWorkersKb: 0, perWorkerKb: 64 << 10}
    const generous = affordableChildren(budget, DEFAULT_POLICY.sizing)
    const cautious = affordableChildren(budget, {...DEFAULT_POLICY.sizing, reservePercent: 40, headroomPercent: 30})
    expect(cautious).toBeLessThan(generous)
    const current = {bufferSize: 4 << 10, buffers: {count: 8, size: 4 << 10}, busy: undefined}
    expect(planBuffers(current, {minBufferSizeKb: 64, maxBufferSizeKb: 256}).bufferSize).toBe(64 << 10)
    expect(
      planBuffers({...current, bufferSize: 256 << 10}, {minBufferSizeKb: 16, maxBufferSizeKb: 256}).bufferSize,
    ).toBe(256 << 10)
  })
})
