import {describe, expect, it} from 'vitest'

import {formatNginxDump, splitNginxDump} from '../../../src/nginx/index.js'
import {LAYOUTS, readConfigFile, readDump} from './layouts.js'

describe('splitNginxDump on real nginx -T output', () => {
  it('lists the Debian files in the order nginx loaded them', () => {
    const files = splitNginxDump(readDump('debian-php82'))
    expect(files.map((file) => file.path)).toEqual([
      '/etc/nginx/nginx.conf',
      '/etc/nginx/mime.types',
      '/etc/nginx/sites-enabled/default',
      '/etc/nginx/snippets/fastcgi-php.conf',
      '/etc/nginx/fastcgi.conf',
    ])
  })

  it.each(LAYOUTS)('%s: recovers every file byte for byte as it is on disk', (layout) => {
    const files = splitNginxDump(readDump(layout))
    expect(files.length).toBeGreaterThan(2)
    for (const file of files) expect(file.content, file.path).toBe(readConfigFile(layout, file.path))
  })

  it('keeps CRLF line endings of a file written on Windows', () => {
    const laravel = splitNginxDump(readDump('apps')).find((file) => file.path.endsWith('/laravel'))!
    expect(laravel.content).toContain('listen 80;\r\n')
    expect(laravel.content.endsWith('}\r\n')).toBe(true)
  })

  it.each(LAYOUTS)('%s: formatNginxDump rebuilds the exact stdout', (layout) => {
    const dump = readDump(layout)
    expect(formatNginxDump(splitNginxDump(dump))).toBe(dump)
  })
})

describe('splitNginxDump edge cases', () => {
  it('keeps a file without a final newline and an empty file apart from their neighbours', () => {
    const stdout = [
      '# configuration file /etc/nginx/nginx.conf:',
      'include conf.d/*.conf;',
      '',
      '# configuration file /etc/nginx/conf.d/a.conf:',
      'fastcgi_read_timeout 30s;',
      '# configuration file /etc/nginx/conf.d/empty.conf:',
      '',
      '# configuration file /etc/nginx/conf.d/z.conf:',
      '# configuration file /etc/nginx/not-a-header.conf: ← only a comment inside z.conf',
      '',
      '',
    ].join('\n')
    expect(splitNginxDump(stdout)).toEqual([
      {path: '/etc/nginx/nginx.conf', content: 'include conf.d/*.conf;\n'},
      {path: '/etc/nginx/conf.d/a.conf', content: 'fastcgi_read_timeout 30s;'},
      {path: '/etc/nginx/conf.d/empty.conf', content: ''},
      {
        path: '/etc/nginx/conf.d/z.conf',
        content: '# configuration file /etc/nginx/not-a-header.conf: ← only a comment inside z.conf\n',
      },
    ])
  })

  it('drops test messages merged in front of the first file and returns nothing for no files', () => {
    const stdout =
      'nginx: the configuration file /etc/nginx/nginx.conf syntax is ok\n' +
      'nginx: configuration file /etc/nginx/nginx.conf test is successful\n' +
      '# configuration file /etc/nginx/nginx.conf:\nuser nginx;\n\n'
    expect(splitNginxDump(stdout)).toEqual([{path: '/etc/nginx/nginx.conf', content: 'user nginx;\n'}])
    expect(splitNginxDump('nginx: [emerg] unknown directive "fastcgi_pas"\n')).toEqual([])
  })
})
