import {readFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'
import {describe, expect, it} from 'vitest'

import {
  applyExitCode,
  EXIT_CODE_MEANINGS,
  ExitCode,
  factsExitCode,
  planExitCode,
  type HostExit,
} from '../../../src/exit-codes.js'
import type {Finding} from '../../../src/model/finding.js'
import {summarize, type HostPlan} from '../../../src/model/plan.js'

const README = fileURLToPath(new URL('../../../README.md', import.meta.url))

function readmeExitTable(): Record<string, string> {
  const section = readFileSync(README, 'utf8').split('\n## Exit codes\n')[1]?.split('\n## ')[0] ?? ''
  const rows = section.split('\n').filter((line) => /^\| \d+ \|/.test(line))
  return Object.fromEntries(
    rows.map((row) => {
      const [, code, meaning] = /^\| (\d+) \| (.*) \|$/.exec(row) ?? []
      return [code, meaning]
    }),
  )
}

const host = (status: string, errorCode?: string): HostExit => ({status, errorCode})

describe('the exit-code table', () => {
  it('is exactly the README table, code by code and word for word', () => {
    expect(readmeExitTable()).toEqual(Object.fromEntries(Object.entries(EXIT_CODE_MEANINGS)))
  })

  it('gives every named code a meaning, and no two names one code', () => {
    const codes = Object.values(ExitCode)
    expect(new Set(codes).size).toBe(codes.length)
    for (const code of codes) expect(EXIT_CODE_MEANINGS[code]).toBeTruthy()
    expect(ExitCode.INTERRUPTED).toBe(130)
    expect(ExitCode.USAGE).toBe(64)
  })
})

describe('facts and plan: a host that cannot be reached', () => {
  it('exits 8 when no host was reached, for facts and plan alike', () => {
    const hosts = [host('failed', 'SSH_CONNECT_REFUSED'), host('failed', 'SSH_HOSTKEY_UNKNOWN')]
    expect(factsExitCode(hosts)).toBe(8)
    expect(planExitCode({hosts, criticalUnfixed: 0, detailedExitcode: false})).toBe(8)
    expect(planExitCode({hosts, criticalUnfixed: 0, detailedExitcode: true})).toBe(8)
  })

  it('exits 3 when some hosts failed, or every host failed for another reason than reaching it', () => {
    expect(factsExitCode([host('ok'), host('failed', 'SSH_AUTH_FAILED')])).toBe(3)
    expect(factsExitCode([host('failed', 'SUDO_PASSWORD_REQUIRED')])).toBe(3)
    expect(
      planExitCode({hosts: [host('changes'), host('failed', 'SSH_DNS')], criticalUnfixed: 0, detailedExitcode: true}),
    ).toBe(3)
  })
})

describe('plan --detailed-exitcode', () => {
  const plan = (statuses: string[], criticalUnfixed: number, detailedExitcode = true) =>
    planExitCode({hosts: statuses.map((status) => host(status)), criticalUnfixed, detailedExitcode})

  it('is 0 with nothing pending, 2 with changes pending', () => {
    expect(plan(['unchanged'], 0)).toBe(0)
    expect(plan(['unchanged', 'changes'], 0)).toBe(2)
  })

  it('is 9 when a critical finding is left unfixed, even when other hosts change', () => {
    expect(plan(['unchanged'], 1)).toBe(9)
    expect(plan(['changes', 'unchanged'], 1)).toBe(9)
  })

  it('is 0 without the flag whatever is pending', () => {
    expect(plan(['changes'], 1, false)).toBe(0)
  })
})

describe('apply: the most serious outcome decides', () => {
  it.each([
    [[host('applied'), host('unchanged'), host('skipped')], 0],
    [[host('applied'), host('rolled-back'), host('refused-stale')], 4],
    [[host('rolled-back'), host('rollback-failed')], 5],
    [[host('failed', 'PLAN_HOSTKEY_MISMATCH'), host('rolled-back')], 10],
    [[host('failed', 'PLAN_HOSTKEY_MISMATCH'), host('failed', 'SSH_CONNECT_REFUSED')], 10],
    [[host('refused-stale'), host('locked')], 6],
    [[host('locked'), host('failed', 'EXEC_FAILED')], 7],
    [[host('failed', 'SSH_CONNECT_TIMEOUT'), host('skipped')], 8],
    [[host('failed', 'SSH_CONNECT_TIMEOUT'), host('applied')], 3],
    // A rollout that stopped with hosts it never started: the fleet is half done, whatever stopped it.
    [[host('applied'), host('refused-stale'), host('not-started')], 12],
    [[host('rolled-back'), host('not-started'), host('skipped')], 12],
    [[host('failed', 'SSH_CONNECT_REFUSED'), host('not-started')], 12],
    [[host('rollback-failed'), host('not-started')], 5],
    [[host('failed', 'PLAN_HOSTKEY_MISMATCH'), host('not-started')], 10],
  ] as const)('%j → %i', (hosts, code) => {
    expect(applyExitCode(hosts)).toBe(code)
  })
})

describe('a critical finding with no proposed change', () => {
  const critical: Finding = {
    id: 'socket-mismatch',
    severity: 'critical',
    scope: {label: 'fastcgi_pass unix:/run/php/php-fpm.sock'},
    summary: 'several live pools could be meant — not guessing',
    evidence: [],
    remedies: [],
  }
  const stuck: HostPlan = {
    name: 'web3',
    address: '192.0.2.13',
    status: 'unchanged',
    findings: [critical],
    changes: [],
    actions: [],
    fingerprints: [],
    notes: [],
  }

  it('is counted in the summary and never exits 0 under --detailed-exitcode', () => {
    const summary = summarize([stuck])
    expect(summary.criticalUnfixed).toEqual(['web3'])
    expect(summary.findings).toEqual({critical: 1, warning: 0, info: 0})
    expect(summary.text).toBe(
      '1 host: 0 to change, 1 unchanged, 0 failed; findings: 1 critical, 0 warnings, 0 info; critical left unfixed on web3',
    )
    const code = planExitCode({
      hosts: [host(stuck.status)],
      criticalUnfixed: summary.criticalUnfixed.length,
      detailedExitcode: true,
    })
    expect(code).toBe(ExitCode.CRITICAL_UNFIXED)
  })
})
