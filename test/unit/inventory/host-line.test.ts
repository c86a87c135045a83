import {describe, expect, it} from 'vitest'

import {parseHostLine, splitShellWords, unquotePythonString} from '../../../src/inventory/host-line.js'
import {thrown} from './fixture.js'

describe('splitShellWords (Ansible splits host lines with shlex)', () => {
  it('starts a comment at an unquoted # even right after a value', () => {
    expect(splitShellWords('web1 a=1#comment b=2')).toEqual(['web1', 'a=1'])
    expect(splitShellWords("web1 pw='x#y' # trailing")).toEqual(['web1', 'pw=x#y'])
  })

  it('joins quoted parts with their neighbours and keeps empty quoted values', () => {
    expect(splitShellWords(`a="b c"d e='' f=\\ g`)).toEqual(['a=b cd', 'e=', 'f= g'])
  })

  it('keeps a backslash inside double quotes unless it escapes " or \\', () => {
    expect(splitShellWords(String.raw`p="C:\temp\\x \"q\""`)).toEqual([String.raw`p=C:\temp\x "q"`])
  })

  it('rejects a trailing backslash', () => {
    expect(thrown(() => splitShellWords('web1 a=\\')).message).toMatch(/nothing after the final backslash/)
  })
})

describe('parseHostLine', () => {
  it('splits name:port and [ipv6]:port but leaves a bare IPv6 address whole', () => {
    expect(parseHostLine('db.example.com:5309')).toMatchObject({names: ['db.example.com'], port: '5309'})
    expect(parseHostLine('[fe80::1]:22')).toMatchObject({names: ['fe80::1'], port: '22'})
    expect(parseHostLine('fe80::1:22')).toMatchObject({names: ['fe80::1:22'], port: undefined})
    expect(parseHostLine('web[1:2]:2222')).toMatchObject({names: ['web1', 'web2'], port: '2222'})
  })

  it('unwraps one level of Python quotes in values', () => {
    expect(parseHostLine(`h a="'quoted'" b='"dq"' c="'unbalanced"`).vars).toEqual({
      a: 'quoted',
      b: 'dq',
      c: "'unbalanced",
    })
  })
})

describe('unquotePythonString', () => {
  it('handles Python escapes inside the quotes', () => {
    expect(unquotePythonString(String.raw`'it\'s\tok\\'`)).toBe("it's\tok\\")
  })

  it('leaves values that are not one quoted string alone', () => {
    expect(unquotePythonString(`'a' 'b'`)).toBe(`'a' 'b'`)
    expect(unquotePythonString('True')).toBe('True')
  })
})
