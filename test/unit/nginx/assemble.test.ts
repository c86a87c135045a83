import {describe, expect, it} from 'vitest'

import {FpmfixError} from '../../../src/errors.js'
import {
  assembleNginxConfig,
  childrenNamed,
  isNginxGlob,
  matchNginxGlob,
  walkNginx,
  type NginxConfig,
  type NginxDirective,
} from '../../../src/nginx/index.js'
import {linesOf, loadLayout, readConfigFile} from './layouts.js'

function findAll(config: NginxConfig, name: string): Array<{directive: NginxDirective; ancestors: string[]}> {
  const found: Array<{directive: NginxDirective; ancestors: string[]}> = []
  walkNginx(config.directives, (directive, {ancestors}) => {
    if (directive.name === name) found.push({directive, ancestors: ancestors.map((block) => block.name)})
  })
  return found
}

describe('include resolution (Debian)', () => {
  const config = loadLayout('debian-php82')

  it('takes the main file and prefix from the first dumped file', () => {
    expect(config.mainFile).toBe('/etc/nginx/nginx.conf')
    expect(config.prefix).toBe('/etc/nginx/')
    expect(config.warnings).toEqual([])
  })

  it('reports a directive from snippets/fastcgi-php.conf at its own file and line', () => {
    const [{directive, ancestors}] = findAll(config, 'fastcgi_split_path_info') as [ReturnType<typeof findAll>[0]]
    expect(directive.file).toBe('/etc/nginx/snippets/fastcgi-php.conf')
    const line = linesOf(readConfigFile('debian-php82', directive.file))[directive.line - 1]
    expect(line).toContain('fastcgi_split_path_info ^(.+?\\.php)(/.*)$;')
    expect(ancestors).toEqual(['http', 'server', 'location'])
  })

  it('chains includedFrom through nested includes back to the site file', () => {
    const scriptFilename = findAll(config, 'fastcgi_param').find(
      ({directive}) => directive.args[0] === 'SCRIPT_FILENAME',
    )!
    const site = scriptFilename.directive.includedFrom!
    expect(scriptFilename.directive.file).toBe('/etc/nginx/fastcgi.conf')
    expect(site).toMatchObject({file: '/etc/nginx/snippets/fastcgi-php.conf', line: 13})
    expect(site.via).toMatchObject({file: '/etc/nginx/sites-enabled/default', line: 57})
    expect(site.via!.via).toMatchObject({file: '/etc/nginx/nginx.conf', line: 60})
    expect(linesOf(readConfigFile('debian-php82', site.via!.file))[site.via!.line - 1]).toContain(
      'include snippets/fastcgi-php.conf;',
    )
  })

  it('puts the included directives right after the include, where nginx reads them', () => {
    const http = childrenNamed(config.directives, 'http')[0]!
    const names = http.children!.map((directive) => directive.name)
    const include = names.indexOf('include')
    expect(names.slice(include, include + 3)).toEqual(['include', 'types', 'default_type'])
    expect(http.children![include]!.includes).toEqual(['/etc/nginx/mime.types'])
    const sitesInclude = http.children!.find((directive) => directive.args[0] === '/etc/nginx/sites-enabled/*')!
    expect(sitesInclude.includes).toEqual(['/etc/nginx/sites-enabled/default'])
  })

  it('leaves a glob that matches nothing (modules-enabled) without a warning', () => {
    const modules = childrenNamed(config.directives, 'include')[0]!
    expect(modules.args).toEqual(['/etc/nginx/modules-enabled/*.conf'])
    expect(modules.includes).toEqual([])
  })
})

describe('include resolution (other layouts)', () => {
  it('expands sites-enabled/* in sorted order', () => {
    const servers = findAll(loadLayout('apps'), 'server').filter(({ancestors}) => ancestors.join() === 'http')
    expect([...new Set(servers.map(({directive}) => directive.file))]).toEqual([
      '/etc/nginx/sites-enabled/api',
      '/etc/nginx/sites-enabled/laravel',
      '/etc/nginx/sites-enabled/multi-tenant',
      '/etc/nginx/sites-enabled/symfony',
      '/etc/nginx/sites-enabled/wordpress',
    ])
  })

  it('pulls the RHEL default.d location into the server block of nginx.conf', () => {
    const config = loadLayout('rhel-remi')
    const [location] = findAll(config, 'location').filter(({directive}) =>
      directive.file.endsWith('default.d/php.conf'),
    )
    expect(location!.ancestors).toEqual(['http', 'server'])
    expect(location!.directive.includedFrom).toMatchObject({file: '/etc/nginx/nginx.conf', line: 44})
  })

  it('includes one snippet in several places with the right provenance each time', () => {
    const splits = findAll(loadLayout('apps'), 'fastcgi_split_path_info').map(({directive}) => directive)
    expect(splits.map((directive) => [directive.file, directive.includedFrom?.file])).toEqual([
      ['/etc/nginx/snippets/fastcgi-php.conf', '/etc/nginx/sites-enabled/api'],
      ['/etc/nginx/snippets/fastcgi-php.conf', '/etc/nginx/sites-enabled/multi-tenant'],
      ['/etc/nginx/sites-enabled/symfony', '/etc/nginx/nginx.conf'],
    ])
  })
})

describe('include edge cases', () => {
  it('keeps going past an include the dump does not list, with a warning', () => {
    const config = assembleNginxConfig([
      {
        path: '/etc/nginx/nginx.conf',
        content: 'http {\n    include snippets/missing.conf;\n    include conf.d/*.conf;\n}\n',
      },
      {path: '/etc/nginx/conf.d/b.conf', content: 'server { listen 81; }\n'},
      {path: '/etc/nginx/conf.d/a.conf', content: 'server { listen 80; }\n'},
    ])
    expect(config.warnings).toEqual([
      {
        kind: 'include-missing',
        file: '/etc/nginx/nginx.conf',
        line: 2,
        message:
          '/etc/nginx/nginx.conf:2: include "snippets/missing.conf" names /etc/nginx/snippets/missing.conf, which the nginx -T output does not list',
      },
    ])
    const listens = findAll(config, 'listen').map(({directive}) => `${directive.file} ${directive.args[0]}`)
    expect(listens).toEqual(['/etc/nginx/conf.d/a.conf 80', '/etc/nginx/conf.d/b.conf 81'])
  })

  it('does not follow an include cycle forever', () => {
    const config = assembleNginxConfig([
      {path: '/etc/nginx/nginx.conf', content: 'include loop.conf;\n'},
      {path: '/etc/nginx/loop.conf', content: 'worker_processes 2;\ninclude loop.conf;\n'},
    ])
    expect(findAll(config, 'worker_processes')).toHaveLength(1)
    expect(config.warnings.map((warning) => warning.kind)).toEqual(['include-recursive'])
  })

  it('raises GATHER_PARSE naming the included file and line when one does not parse', () => {
    const assemble = (): NginxConfig =>
      assembleNginxConfig([
        {path: '/etc/nginx/nginx.conf', content: 'http {\n    include sites-enabled/*;\n}\n'},
        {path: '/etc/nginx/sites-enabled/broken', content: 'server {\n    listen 80\n}\n'},
      ])
    expect(assemble).toThrow(FpmfixError)
    expect(assemble).toThrow('/etc/nginx/sites-enabled/broken:3:1: unexpected "}"')
  })

  it('refuses a dump with no files', () => {
    expect(() => assembleNginxConfig([])).toThrow(/printed no "# configuration file" section/)
  })
})

describe('glob semantics', () => {
  const files = [
    '/etc/nginx/conf.d/b.conf',
    '/etc/nginx/conf.d/a.conf',
    '/etc/nginx/conf.d/.hidden.conf',
    '/etc/nginx/conf.d/10-x.conf',
    '/etc/nginx/conf.d/Z.conf',
    '/etc/nginx/conf.d/sub/c.conf',
    '/etc/nginx/conf.d/a.conf.bak',
  ]

  it('sorts byte-wise and skips dot files and subdirectories', () => {
    expect(matchNginxGlob('/etc/nginx/conf.d/*.conf', files)).toEqual([
      '/etc/nginx/conf.d/10-x.conf',
      '/etc/nginx/conf.d/Z.conf',
      '/etc/nginx/conf.d/a.conf',
      '/etc/nginx/conf.d/b.conf',
    ])
  })

  it('supports ?, [...] classes, negation and explicit dots', () => {
    expect(matchNginxGlob('/etc/nginx/conf.d/?.conf', files)).toEqual([
      '/etc/nginx/conf.d/Z.conf',
      '/etc/nginx/conf.d/a.conf',
      '/etc/nginx/conf.d/b.conf',
    ])
    expect(matchNginxGlob('/etc/nginx/conf.d/[a-b].conf', files)).toEqual([
      '/etc/nginx/conf.d/a.conf',
      '/etc/nginx/conf.d/b.conf',
    ])
    expect(matchNginxGlob('/etc/nginx/conf.d/[!a-z].conf', files)).toEqual(['/etc/nginx/conf.d/Z.conf'])
    expect(matchNginxGlob('/etc/nginx/conf.d/.*', files)).toEqual(['/etc/nginx/conf.d/.hidden.conf'])
    expect(matchNginxGlob('/etc/nginx/conf.d/*/*.conf', files)).toEqual(['/etc/nginx/conf.d/sub/c.conf'])
  })

  it('knows which include arguments are globs', () => {
    expect(isNginxGlob('/etc/nginx/sites-enabled/*')).toBe(true)
    expect(isNginxGlob('conf.d/[ab].conf')).toBe(true)
    expect(isNginxGlob('snippets/fastcgi-php.conf')).toBe(false)
  })
})
