import {describe, expect, it} from 'vitest'

import {type FpmfixError} from '../../../src/errors.js'
import {parseNginxFile, unescapeNginxWord, type NginxDirective} from '../../../src/nginx/index.js'
import {fpmfixError} from '../../support/fpmfix-error.js'

const parse = (text: string): NginxDirective[] => parseNginxFile('/etc/nginx/test.conf', text)
const only = (text: string): NginxDirective => {
  const [directive, ...rest] = parse(text)
  expect(rest).toHaveLength(0)
  return directive!
}

const parseError = (text: string): FpmfixError => fpmfixError(() => parse(text))

describe('tokenizer', () => {
  it('unquotes single and double quoted arguments and keeps their raw text', () => {
    const directive = only(`add_header X-Frame-Options "SAMEORIGIN" 'always';`)
    expect(directive.args).toEqual(['X-Frame-Options', 'SAMEORIGIN', 'always'])
    expect(directive.argTokens.map((arg) => arg.raw)).toEqual(['X-Frame-Options', '"SAMEORIGIN"', "'always'"])
  })

  it('resolves the escapes nginx resolves and leaves regex escapes alone', () => {
    const directive = only(String.raw`return 200 "say \"hi\"\n" \.php$ 'it\'s' a\\b;`)
    expect(directive.args).toEqual(['200', 'say "hi"\n', String.raw`\.php$`, "it's", String.raw`a\b`])
  })

  it('keeps an escaped space or semicolon inside a bare word', () => {
    expect(only(String.raw`set $a foo\ bar\;baz;`).args).toEqual(['$a', String.raw`foo\ bar\;baz`])
    expect(unescapeNginxWord(String.raw`\t\r\x`)).toBe('\t\r\\x')
  })

  it('treats # as a comment only at the start of a token, never inside quotes', () => {
    const directives = parse(
      ['# leading comment', 'log_format main "#not a comment" foo#bar; # trailing', "set $x '#';"].join('\n'),
    )
    expect(directives.map((directive) => [directive.name, ...directive.args])).toEqual([
      ['log_format', 'main', '#not a comment', 'foo#bar'],
      ['set', '$x', '#'],
    ])
  })

  it('reads ${var} as part of a word and an empty quoted map key', () => {
    const [map] = parse(
      "map $http_upgrade $connection_upgrade {\n\tdefault upgrade;\n\t'' close;\n}\nroot /srv/${host}/public;",
    )
    expect(map!.children!.map((entry) => [entry.name, ...entry.args])).toEqual([
      ['default', 'upgrade'],
      ['', 'close'],
    ])
    expect(parse('root /srv/${host}/public;')[0]!.args).toEqual(['/srv/${host}/public'])
  })

  it('tokenizes if conditions like nginx: a quoted string may be followed by ")"', () => {
    const directive = only('if ($request_method = "POST") { return 405; }')
    expect(directive.args).toEqual(['($request_method', '=', 'POST', ')'])
    expect(directive.children!.map((child) => child.name)).toEqual(['return'])
  })

  it('counts lines and columns across CRLF line endings', () => {
    const [server] = parse('server {\r\n\tlisten 80;\r\n\r\n    location / {\r\n\t\troot /var/www;\r\n\t}\r\n}\r\n')
    const [listen, location] = server!.children!
    expect([listen!.line, listen!.column]).toEqual([2, 2])
    expect([location!.line, location!.column]).toEqual([4, 5])
    expect(location!.children![0]).toMatchObject({name: 'root', args: ['/var/www'], line: 5, column: 3})
  })

  it('records offsets that slice back to the written text', () => {
    const text = 'http {\n    fastcgi_read_timeout   300s; # slow\n}\n'
    const directive = parse(text)[0]!.children![0]!
    expect(text.slice(directive.start, directive.end)).toBe('fastcgi_read_timeout   300s;')
    expect(text.slice(directive.argTokens[0]!.start, directive.argTokens[0]!.end)).toBe('300s')
    expect(text.slice(parse(text)[0]!.blockOpen, parse(text)[0]!.blockClose! + 1)).toMatch(/^\{[\s\S]*\}$/)
  })

  it('keeps a *_by_lua_block body raw, braces and strings included', () => {
    const text = [
      'location /lua {',
      '    content_by_lua_block {',
      '        local t = {a = "}"} -- a } in a comment',
      "        ngx.say('{', [[ } ]])",
      '    }',
      '    fastcgi_pass 127.0.0.1:9000;',
      '}',
    ].join('\n')
    const [lua, pass] = only(text).children!
    expect(lua!.rawBody).toContain("ngx.say('{', [[ } ]])")
    expect(lua!.children).toEqual([])
    expect(pass).toMatchObject({name: 'fastcgi_pass', line: 6})
  })
})

describe('parse errors', () => {
  it('names file:line:column and what was expected for a missing semicolon', () => {
    const error = parseError('server {\n    listen 80\n}\n')
    expect(error.code).toBe('GATHER_PARSE')
    expect(error.message).toBe('/etc/nginx/test.conf:3:1: unexpected "}", expected ";" or "{" after "listen"')
    expect(error.details).toEqual({file: '/etc/nginx/test.conf', line: 3, column: 1})
  })

  it('reports an unclosed block at the line that opened it', () => {
    expect(parseError('http {\n  server {\n    listen 80;\n  }\n').message).toBe(
      '/etc/nginx/test.conf:1:6: unexpected end of file, expected "}" to close this block',
    )
  })

  it('reports a stray "}" and a "{" without a directive name', () => {
    expect(parseError('listen 80;\n}\n').message).toContain('test.conf:2:1: unexpected "}"')
    expect(parseError('\n  { listen 80; }').message).toContain(
      'test.conf:2:3: unexpected "{", expected a directive name',
    )
  })

  it('reports an unterminated string and text glued to a closing quote', () => {
    expect(parseError('root "/var/www;\n').message).toContain(
      'test.conf:1:6: unexpected end of file, expected the closing "',
    )
    expect(parseError('root "/var/www"x;').message).toContain('test.conf:1:16: unexpected "x" after a quoted string')
  })

  it('reports a directive cut off by the end of the file', () => {
    expect(parseError('user www-data').message).toContain('test.conf:1:14: unexpected end of file, expected ";" or "{"')
  })
})
