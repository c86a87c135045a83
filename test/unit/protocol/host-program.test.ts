import {spawnSync} from 'node:child_process'
import {describe, expect, it} from 'vitest'

import {hostFile, hostProgram} from '../../../src/protocol/host-program.js'

describe('hostProgram', () => {
  it('feeds data as single-quoted assignments before the static files, whatever the values hold', () => {
    const hostile = `it's $(touch /tmp/x) \`id\` "quoted"\nnext line`
    const program = hostProgram(['protocol/sh/frame.sh'], {B: 'FPMFIX0123456789abcdef', VALUE: hostile})
    expect(program.startsWith('#!/bin/sh\n')).toBe(true)
    expect(program).toContain(hostFile('protocol/sh/frame.sh').replace(/^#!.*\n/, ''))
    const run = spawnSync('sh', ['-c', `${program}\nprintf '%s' "$VALUE"; sec_begin kind tag "$VALUE"`], {
      encoding: 'utf8',
    })
    expect(run.status).toBe(0)
    expect(run.stdout.startsWith(hostile)).toBe(true)
    const header = run.stdout.slice(hostile.length)
    expect(header).toBe(`FPMFIX0123456789abcdef BEGIN kind tag ~${Buffer.from(hostile).toString('hex')}\n`)
  })

  it('refuses variable names that are not plain upper-case identifiers', () => {
    expect(() => hostProgram([], {'A;rm': 'x'})).toThrow(/invalid host program variable name/)
    expect(() => hostProgram([], {lower: 'x'})).toThrow(/invalid host program variable name/)
  })

  it('names a file that is not part of the installation', () => {
    expect(() => hostFile('protocol/sh/no-such-file.sh')).toThrow(
      /host program file protocol\/sh\/no-such-file.sh is missing/,
    )
  })
})
