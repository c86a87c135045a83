import {describe, expect, it} from 'vitest'

import {type FpmfixError} from '../../../src/errors.js'
import {
  assembleNginxConfig,
  effectiveFastcgiSettings,
  findFastcgiPasses,
  insertDirective,
  locatorOf,
  parseNginxFile,
  removeDirective,
  setDirectiveArgs,
  walkNginx,
  type NginxConfig,
  type NginxDirective,
} from '../../../src/nginx/index.js'
import {changedLines, insertedLines, LAYOUTS, linesOf, loadLayout, type Layout} from './layouts.js'

function fileText(config: NginxConfig, path: string): string {
  return config.files.find((file) => file.path === path)!.content
}

function withFile(config: NginxConfig, path: string, content: string): NginxConfig {
  return assembleNginxConfig(config.files.map((file) => (file.path === path ? {path, content} : file)))
}

function directivesOnLine(path: string, text: string, line: number): NginxDirective[] {
  const found: NginxDirective[] = []
  walkNginx(parseNginxFile(path, text), (directive) => {
    if (directive.line === line) found.push(directive)
  })
  return found
}

const passCases = LAYOUTS.flatMap((layout) =>
  findFastcgiPasses(loadLayout(layout)).map((pass) => ({layout, label: `${layout} ${pass.file}:${pass.line}`, pass})),
)

describe.each(passCases)('editor round trip on $label', ({layout, pass}) => {
  const config = loadLayout(layout as Layout)
  const before = fileText(config, pass.file)
  const eol = before.includes('\r\n') ? '\r\n' : '\n'

  it('setDirectiveArgs changes only the fastcgi_pass line, and nginx then sees the new target', () => {
    const after = setDirectiveArgs(before, {file: pass.file, offset: pass.offset, name: 'fastcgi_pass'}, [
      'unix:/run/php/php8.3-fpm.sock',
    ])
    expect(changedLines(before, after)).toEqual([pass.line])
    const oldLine = linesOf(before)[pass.line - 1]!
    const newLine = linesOf(after)[pass.line - 1]!
    expect(newLine.slice(0, pass.column - 1)).toBe(oldLine.slice(0, pass.column - 1))
    expect(newLine.endsWith(eol)).toBe(true)
    const [edited] = findFastcgiPasses(withFile(config, pass.file, after)).filter(
      (found) => found.line === pass.line && found.file === pass.file,
    )
    expect(edited!.target).toEqual({kind: 'unix', path: '/run/php/php8.3-fpm.sock'})
  })

  it('insertDirective adds one line in the location, indented like its siblings, and it takes effect', () => {
    const location = pass.location!
    const after = insertDirective(
      before,
      {file: location.file, line: location.line, name: 'location'},
      'fastcgi_read_timeout',
      ['300s'],
    )
    const inserted = insertedLines(before, after)
    const indent = /^[ \t]*/.exec(linesOf(before)[pass.line - 1]!)![0]
    expect(inserted.text).toEqual([`${indent}fastcgi_read_timeout 300s;${eol}`])
    const existing = directivesOnLine(pass.file, before, inserted.line - 1)
    expect(
      existing.some((directive) => directive.name === 'fastcgi_read_timeout') || inserted.line - 1 === location.line,
    ).toBe(true)
    const reassembled = withFile(config, pass.file, after)
    const moved = findFastcgiPasses(reassembled).find((found) => found.file === pass.file && found.raw === pass.raw)!
    expect(effectiveFastcgiSettings(reassembled, moved.treePath).fastcgi_read_timeout).toEqual({
      name: 'fastcgi_read_timeout',
      value: ['300s'],
      source: {file: pass.file, line: inserted.line, column: indent.length + 1},
    })
  })

  it('removeDirective drops exactly the fastcgi_pass line', () => {
    const after = removeDirective(before, {file: pass.file, offset: pass.offset, name: 'fastcgi_pass'})
    const restored = insertedLines(after, before)
    expect(restored.line).toBe(pass.line)
    expect(restored.text).toEqual([linesOf(before)[pass.line - 1]])
    const remaining = findFastcgiPasses(withFile(config, pass.file, after))
    expect(
      remaining.some((found) => found.file === pass.file && found.raw === pass.raw && found.line === pass.line),
    ).toBe(false)
  })
})

describe('setDirectiveArgs details', () => {
  const multi = loadLayout('debian-multi-php')
  const shopPath = '/etc/nginx/sites-enabled/shop.example.com'
  const shop = fileText(multi, shopPath)

  it('keeps a trailing comment and the indentation', () => {
    const after = setDirectiveArgs(shop, {line: 17, name: 'fastcgi_read_timeout'}, ['600s'])
    expect(changedLines(shop, after)).toEqual([17])
    expect(linesOf(after)[16]).toBe('\t\tfastcgi_read_timeout 600s; # checkout exports run long\n')
  })

  it('rewrites a different number of arguments in place before a comment (Debian ssl_protocols)', () => {
    const nginxConf = fileText(multi, '/etc/nginx/nginx.conf')
    const line = linesOf(nginxConf).findIndex((text) => text.includes('ssl_protocols')) + 1
    const after = setDirectiveArgs(nginxConf, {line, name: 'ssl_protocols'}, ['TLSv1.2', 'TLSv1.3'])
    expect(changedLines(nginxConf, after)).toEqual([line])
    expect(linesOf(after)[line - 1]).toBe('\tssl_protocols TLSv1.2 TLSv1.3; # Dropping SSLv3, ref: POODLE\n')
  })

  it('keeps the column alignment of unchanged spacing (Alpine)', () => {
    const alpine = loadLayout('alpine-php82')
    const [pass] = findFastcgiPasses(alpine)
    const after = setDirectiveArgs(fileText(alpine, pass!.file), {offset: pass!.offset}, ['127.0.0.1:9001'])
    expect(linesOf(after)[pass!.line - 1]).toBe('\t\tfastcgi_pass      127.0.0.1:9001;\n')
  })

  it('quotes only when needed and keeps the spelling of unchanged arguments in a CRLF file', () => {
    const apps = loadLayout('apps')
    const path = '/etc/nginx/sites-enabled/laravel'
    const laravel = fileText(apps, path)
    const denied = setDirectiveArgs(laravel, {line: 6, name: 'add_header'}, ['X-Frame-Options', 'DENY'])
    expect(linesOf(denied)[5]).toBe('    add_header X-Frame-Options DENY;\r\n')
    const spaced = setDirectiveArgs(laravel, {line: 6, name: 'add_header'}, [
      'X-Frame-Options',
      'ALLOW-FROM https://a.example',
    ])
    expect(linesOf(spaced)[5]).toBe('    add_header X-Frame-Options "ALLOW-FROM https://a.example";\r\n')
    expect(directivesOnLine(path, spaced, 6)[0]!.args).toEqual(['X-Frame-Options', 'ALLOW-FROM https://a.example'])
    const tricky = ['say "hi"', 'a;b', '', '#x', 'c:\\dir\\', '${host}.sock', '\\.php$']
    const edited = setDirectiveArgs(laravel, {line: 6, name: 'add_header'}, tricky)
    expect(directivesOnLine(path, edited, 6)[0]!.args).toEqual(tricky)
    expect(changedLines(laravel, edited)).toEqual([6])
  })

  it('adds arguments to a directive that had none and removes them all', () => {
    const text = 'location / {\n    internal;\n    return 404;\n}\n'
    expect(setDirectiveArgs(text, {line: 2}, ['on'])).toBe('location / {\n    internal on;\n    return 404;\n}\n')
    expect(setDirectiveArgs(text, {line: 3}, [])).toBe('location / {\n    internal;\n    return;\n}\n')
  })
})

describe('insertDirective details', () => {
  it('places a directive after the last one of the same name (docker fastcgi_param)', () => {
    const docker = loadLayout('docker-php-fpm')
    const path = '/etc/nginx/conf.d/default.conf'
    const before = fileText(docker, path)
    const after = insertDirective(before, {line: 13, name: 'location'}, 'fastcgi_param', ['HTTPS', 'on'])
    expect(insertedLines(before, after)).toEqual({line: 21, text: ['        fastcgi_param HTTPS on;\n']})
  })

  it('indents the first child of an empty block one step deeper than the block (RHEL, spaces)', () => {
    const rhel = loadLayout('rhel-remi')
    const before = fileText(rhel, '/etc/nginx/nginx.conf')
    const line = linesOf(before).findIndex((text) => text.includes('location = /404.html {')) + 1
    const after = insertDirective(before, {line, name: 'location'}, 'internal', [])
    expect(insertedLines(before, after)).toEqual({line: line + 1, text: ['            internal;\n']})
  })

  it('uses tabs in a tab-indented file when the block is empty', () => {
    const text = 'http {\n\tserver {\n\t\tlocation /x {\n\t\t}\n\t}\n}\n'
    expect(insertDirective(text, {line: 3, name: 'location'}, 'internal', [])).toBe(
      'http {\n\tserver {\n\t\tlocation /x {\n\t\t\tinternal;\n\t\t}\n\t}\n}\n',
    )
  })

  it('inserts inline in a one-line block (Laravel favicon, CRLF)', () => {
    const laravel = fileText(loadLayout('apps'), '/etc/nginx/sites-enabled/laravel')
    const after = insertDirective(laravel, {line: 18, name: 'location'}, 'access_log', ['/var/log/nginx/favicon.log'])
    expect(changedLines(laravel, after)).toEqual([18])
    expect(linesOf(after)[17]).toBe(
      '    location = /favicon.ico { access_log off; access_log /var/log/nginx/favicon.log; log_not_found off; }\r\n',
    )
  })

  it('keeps CRLF everywhere when inserting a new line into a CRLF file', () => {
    const laravel = fileText(loadLayout('apps'), '/etc/nginx/sites-enabled/laravel')
    const after = insertDirective(laravel, {line: 1, name: 'server'}, 'client_max_body_size', ['32m'])
    expect(insertedLines(laravel, after)).toEqual({line: 2, text: ['    client_max_body_size 32m;\r\n']})
    expect(after.split('\n').length).toBe(after.split('\r\n').length)
  })

  it('appends at the top level of a conf.d file, after the same name when present', () => {
    const tuning = fileText(loadLayout('debian-multi-php'), '/etc/nginx/conf.d/fastcgi-tuning.conf')
    expect(insertedLines(tuning, insertDirective(tuning, undefined, 'fastcgi_send_timeout', ['120s']))).toEqual({
      line: 5,
      text: ['fastcgi_send_timeout 120s;\n'],
    })
    expect(insertedLines(tuning, insertDirective(tuning, undefined, 'fastcgi_read_timeout', ['300s']))).toEqual({
      line: 3,
      text: ['fastcgi_read_timeout 300s;\n'],
    })
    expect(insertDirective('# empty\n', undefined, 'user', ['nginx'])).toBe('# empty\nuser nginx;\n')
  })

  it('refuses to insert into a directive that has no block', () => {
    const text = 'http {\n    sendfile on;\n}\n'
    expect(() => insertDirective(text, {line: 2}, 'x', [])).toThrow('has no nginx block')
  })
})

describe('removeDirective details', () => {
  const multi = loadLayout('debian-multi-php')
  const shop = fileText(multi, '/etc/nginx/sites-enabled/shop.example.com')

  it('removes a directive with its trailing comment', () => {
    const after = removeDirective(shop, {line: 17, name: 'fastcgi_read_timeout'})
    expect(insertedLines(after, shop)).toEqual({
      line: 17,
      text: ['\t\tfastcgi_read_timeout 300; # checkout exports run long\n'],
    })
  })

  it('removes a whole block', () => {
    const after = removeDirective(shop, {line: 21, name: 'location'})
    expect(insertedLines(after, shop)).toEqual({
      line: 21,
      text: ['\tlocation ~ /\\.ht {\n', '\t\tdeny all;\n', '\t}\n'],
    })
  })

  it('removes one directive from a one-line block and keeps the rest of the line', () => {
    const laravel = fileText(loadLayout('apps'), '/etc/nginx/sites-enabled/laravel')
    const logNotFound = directivesOnLine('laravel', laravel, 18).find(
      (directive) => directive.name === 'log_not_found',
    )!
    const after = removeDirective(laravel, {offset: logNotFound.start})
    expect(linesOf(after)[17]).toBe('    location = /favicon.ico { access_log off; }\r\n')
    const accessLog = directivesOnLine('laravel', laravel, 18).find((directive) => directive.name === 'access_log')!
    expect(linesOf(removeDirective(laravel, {offset: accessLog.start}))[17]).toBe(
      '    location = /favicon.ico { log_not_found off; }\r\n',
    )
  })

  it('removes the last line of a file that has no final newline', () => {
    expect(removeDirective('user nginx;\r\npid /run/nginx.pid;', {line: 2})).toBe('user nginx;')
    expect(removeDirective('pid /run/nginx.pid;', {line: 1})).toBe('')
  })
})

describe('locating the directive to edit', () => {
  const text = 'http {\n    sendfile on;\n    tcp_nopush on;\n}\n'

  it('refuses an offset, line or name that does not match the text (stale plan)', () => {
    const stale = (run: () => string): FpmfixError => {
      try {
        run()
      } catch (error) {
        return error as FpmfixError
      }
      throw new Error('expected an error')
    }
    const wrongName = stale(() =>
      setDirectiveArgs(text, {file: '/etc/nginx/nginx.conf', line: 2, name: 'tcp_nopush'}, ['off']),
    )
    expect(wrongName.code).toBe('PLAN_STALE')
    expect(wrongName.message).toBe(
      '/etc/nginx/nginx.conf tcp_nopush at line 2: no such directive; the file is not the text the edit was planned on',
    )
    expect(stale(() => removeDirective(text, {offset: 5})).code).toBe('PLAN_STALE')
    expect(stale(() => removeDirective('a 1; b 2;\n', {line: 1})).message).toContain('2 directives match')
  })

  it('finds a directive from the assembled tree by its locator', () => {
    const config = loadLayout('debian-php82')
    let split: NginxDirective | undefined
    walkNginx(config.directives, (directive) => {
      if (directive.name === 'fastcgi_split_path_info') split = directive
    })
    const snippet = fileText(config, split!.file)
    const after = setDirectiveArgs(snippet, locatorOf(split!), ['^(.+\\.php)(/.+)$'])
    expect(changedLines(snippet, after)).toEqual([split!.line])
    expect(linesOf(after)[split!.line - 1]).toBe('fastcgi_split_path_info ^(.+\\.php)(/.+)$;\n')
  })

  it('needs an offset or a line', () => {
    expect(() => removeDirective(text, {name: 'sendfile'})).toThrow('needs an offset or a line')
  })
})
