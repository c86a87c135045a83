import {PassThrough} from 'node:stream'
import {afterEach, describe, expect, it, vi} from 'vitest'

import {paint} from '../../../src/render/style.js'

const stream = (isTTY: boolean) =>
  Object.assign(new PassThrough(), {
    isTTY,
    hasColors: () => isTTY,
    getColorDepth: () => (isTTY ? 8 : 1),
  }) as unknown as NodeJS.WriteStream

describe('paint', () => {
  afterEach(() => vi.unstubAllEnvs())

  it('writes no escape codes to a pipe, even for a list of formats', () => {
    expect(paint(['red', 'bold'], 'critical', stream(false))).toBe('critical')
    expect(paint('green', 'ok', stream(false))).toBe('ok')
  })

  it('applies every format on a stream that takes colour', () => {
    vi.stubEnv('NO_COLOR', '')
    vi.stubEnv('FORCE_COLOR', '1')
    const painted = paint(['red', 'bold'], 'x', stream(true))
    expect(painted.startsWith('\u001b[31m')).toBe(true)
    expect(painted).toContain('\u001b[1mx')
  })
})
