import {describe, expect, it} from 'vitest'

import {formatIniValue, iniScalar, parseFpmTt, parseIniBoolean, parseIniLine} from '../../../src/fpm/index.js'
import {fileContent, fixtureText, fixtureTree} from './fixture-tree.js'

/** The values written into syntax-checks/formatted.conf with formatIniValue before php-fpm read it back. */
const FORMATTED: Array<[string, string]> = [
  ['spaces', 'a b  c'],
  ['semicolon', 'x;y'],
  ['equals', '-f=www@example.com'],
  ['double_quotes', 'say "hi"'],
  ['backslash', 'C:\\path\\'],
  ['tilde', '/home/~user/www'],
  ['ampersand', 'http://127.0.0.1/?a=1&b=2'],
  ['pipe', 'a|b'],
  ['parens', 'it (x)'],
  ['exclamation', 'hi!'],
  ['caret', '^x'],
  ['single_quote', "don't"],
  ['leading_space', ' x'],
  ['pool_word', '/var/lib/php/sessions/$pool'],
  ['hash', '#x'],
  ['yes_word', 'yes please'],
  ['plain_path', '/run/php/php8.2-fpm.sock'],
  ['address', '[::1]:9000'],
  ['size', '256M'],
  ['empty', ''],
]

describe('formatIniValue', () => {
  const path = '/etc/php/8.2/fpm/syntax-checks/formatted.conf'
  const text = fileContent(fixtureTree('fpm-invalid', 'etc'), path)
  const dumped = parseFpmTt(fixtureText('fpm-invalid', 'php-fpm-tt-syntax-formatted.txt')).pools[0]!.phpValues

  it.each(FORMATTED)('writes %s so that php-fpm reads back the same value', (key, value) => {
    const line = text.split('\n').find((candidate) => candidate.startsWith(`php_value[${key}] =`))!
    const entry = parseIniLine(line)
    expect(entry.kind === 'entry' && entry.rawValue).toBe(formatIniValue(value))
    const expected = value.replaceAll('$pool', 'www')
    expect(dumped.find((item) => item.key === key)?.value).toBe(expected)
    expect(entry.kind === 'entry' && entry.value.replaceAll('$pool', 'www')).toBe(expected)
  })

  it('leaves plain tokens and booleans bare', () => {
    expect(formatIniValue('yes')).toBe('yes')
    expect(formatIniValue('9000')).toBe('9000')
    expect(formatIniValue('127.0.0.1:9000')).toBe('127.0.0.1:9000')
  })
})

describe('parseIniLine', () => {
  it('gives the offsets the editor rewrites, outside any inline comment', () => {
    const line = 'pm.process_idle_timeout = 30s ; keep idle workers'
    const entry = parseIniLine(line)
    expect(entry.kind).toBe('entry')
    if (entry.kind !== 'entry') return
    expect(line.slice(entry.valueStart, entry.valueEnd)).toBe('30s')
    expect(line.slice(entry.commentAt)).toBe('; keep idle workers')
    expect(line.slice(entry.keyStart, entry.keyEnd)).toBe('pm.process_idle_timeout')
  })

  it('does not end a quoted value at a ; inside it', () => {
    const entry = parseIniLine('access.format = "%R ; %u" ; the format')
    expect(entry).toMatchObject({kind: 'entry', value: '%R ; %u', rawValue: '"%R ; %u"', quoted: true})
  })

  it('splits array keys and keeps ${VAR} for php-fpm to expand', () => {
    expect(parseIniLine('env[HOSTNAME] = ${HOSTNAME}')).toMatchObject({
      name: 'env',
      arrayKey: 'HOSTNAME',
      value: '${HOSTNAME}',
      envRefs: ['HOSTNAME'],
    })
    expect(parseIniLine('access.suppress_path[] = /ping')).toMatchObject({name: 'access.suppress_path', arrayKey: ''})
  })

  it('flags unquoted expression characters, which the INI scanner evaluates', () => {
    expect(parseIniLine('php_value[error_reporting] = E_ALL & ~E_DEPRECATED')).toMatchObject({expression: true})
    expect(parseIniLine('php_value[x] = plain')).toMatchObject({expression: false})
  })

  it.each([
    ['', 'blank'],
    ['   ', 'blank'],
    ['; comment', 'comment'],
    ['  ;listen.mode = 0660', 'comment'],
    ['# hash', 'hash'],
    ['[www] ; main pool', 'section'],
    ['listen', 'invalid'],
    ['listen ; = 9000', 'invalid'],
  ])('classifies %j as %s', (line, kind) => {
    expect(parseIniLine(line).kind).toBe(kind)
  })
})

describe('INI scalars', () => {
  it.each([
    [{value: 'yes', quoted: false}, '1'],
    [{value: 'On', quoted: false}, '1'],
    [{value: 'off', quoted: false}, ''],
    [{value: 'None', quoted: false}, ''],
    [{value: 'yes', quoted: true}, 'yes'],
    [{value: '5', quoted: false}, '5'],
  ])('decodes %j to %j', (entry, scalar) => {
    expect(iniScalar(entry)).toBe(scalar)
  })

  it.each([
    ['yes', true],
    ['1', true],
    ['no', false],
    ['', false],
    ['enabled', undefined],
  ])('reads the boolean %j as %j', (text, value) => {
    expect(parseIniBoolean(text)).toBe(value)
  })
})
