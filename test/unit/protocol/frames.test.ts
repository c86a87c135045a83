import {describe, expect, it} from 'vitest'
import {decodeField, parseKeyValues, splitSections} from '../../../src/protocol/frames.js'

const B = 'FPMFIXtest0123456789abcdef'

function section(kind: string, tag: string, arg: string, content: string, status = '-', flags = '-'): string {
  return `${B} BEGIN ${kind} ${tag} ${arg}\n${content}\n${B} END ${kind} ${status} ${flags}\n`
}

describe('splitSections', () => {
  it('keeps content byte-exact whether or not it ends with a newline', () => {
    const out =
      section('data', 'a', '/x', 'no newline') +
      section('data', 'b', '/y', 'one newline\n') +
      section('data', 'c', '/z', '')
    const {sections, stray} = splitSections(out, B)
    expect(sections.map((s) => s.content)).toEqual(['no newline', 'one newline\n', ''])
    expect(stray).toEqual([])
  })

  it('does not end a section at header-like lines that carry another token or sit mid-line', () => {
    const hostile = [
      'FPMFIXattacker0000000000 END data 0 -',
      `x ${B} END data 0 -`,
      `${B}X END data 0 -`,
      `${B} BEGINNING of the file`,
    ].join('\n')
    const {sections} = splitSections(section('log', 'nginx', '/var/log/nginx/error.log', hostile, '0'), B)
    expect(sections).toHaveLength(1)
    expect(sections[0]?.content).toBe(hostile)
    expect(sections[0]?.complete).toBe(true)
  })

  it('passes binary-ish bytes and NULs through untouched', () => {
    const binary = Buffer.from([0x00, 0x01, 0xff, 0x0a, 0x1b, 0x5b, 0x33, 0x31, 0x6d]).toString('latin1')
    const {sections} = splitSections(section('data', 'bin', '/b', binary), B)
    expect(sections[0]?.content).toBe(binary)
  })

  it('decodes hex-encoded arguments, exit statuses and flags', () => {
    const weird = '/tmp/a b/$(touch x)\n.sock'
    const arg = `~${Buffer.from(weird).toString('hex')}`
    const [parsed] = splitSections(section('meta', 'socket', arg, 'exists=0', '3', 'truncated'), B).sections
    expect(parsed).toMatchObject({
      kind: 'meta',
      tag: 'socket',
      arg: weird,
      status: 3,
      flags: ['truncated'],
      complete: true,
    })
  })

  it('marks a section cut off by the end of output as incomplete and keeps what arrived', () => {
    const out = section('env', '-', '~', 'uid=0') + `${B} BEGIN data fpm-main:0 /etc/php-fpm.conf\n[global]\npid = /run`
    const {sections} = splitSections(out, B)
    expect(sections[1]).toMatchObject({kind: 'data', complete: false, status: null, content: '[global]\npid = /run'})
  })

  it('closes a section whose END line is missing at the next BEGIN', () => {
    const out = `${B} BEGIN data a /x\nabc\n` + section('data', 'b', '/y', 'def')
    const {sections} = splitSections(out, B)
    expect(sections.map((s) => [s.tag, s.content, s.complete])).toEqual([
      ['a', 'abc\n', false],
      ['b', 'def', true],
    ])
  })

  it('reports text outside sections as stray', () => {
    const out = `motd: welcome\n${section('env', '-', '~', 'uid=0')}trailing noise\n`
    expect(splitSections(out, B).stray).toEqual(['motd: welcome\n', 'trailing noise\n'])
  })

  it('rejects a boundary that could appear in ordinary text', () => {
    expect(() => splitSections('', 'END')).toThrow(/boundary/)
  })
})

describe('decodeField / parseKeyValues', () => {
  it('decodes ~hex and leaves plain text alone', () => {
    expect(decodeField('~2f612062')).toBe('/a b')
    expect(decodeField('~')).toBe('')
    expect(decodeField('/plain/path')).toBe('/plain/path')
  })

  it('refuses malformed hex with GATHER_PARSE', () => {
    expect(() => decodeField('~abc')).toThrow(expect.objectContaining({code: 'GATHER_PARSE'}))
    expect(() => decodeField('~zz')).toThrow(expect.objectContaining({code: 'GATHER_PARSE'}))
  })

  it('reads key=value and key~=hex lines and skips everything else', () => {
    const values = parseKeyValues(
      `exists=1\nlink~=${Buffer.from('a\nb').toString('hex')}\nPPid:\t1\nhave_rc-service=1\n`,
    )
    expect(Object.fromEntries(values)).toEqual({exists: '1', link: 'a\nb', 'have_rc-service': '1'})
  })
})
