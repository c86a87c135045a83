import {describe, expect, it} from 'vitest'

import {DEFAULT_LOCAL_TIME, snapshotFromLayout, type LayoutOptions} from '../../support/snapshot-from-layout.js'
import {captured, lines, minutesBefore, restamp} from './support/captured-logs.js'
import {findingsOf, planFor} from './support/pipeline.js'

const UPSTREAM_CONF = '/etc/nginx/conf.d/php-fpm.conf'

/** nginx's EACCES on connect (real capture), moved to `address` and to a minute ago. */
function eacces(address: string): string {
  const [line] = restamp(
    captured('nginx-error-mixed.log', /\(13: Permission denied\)/),
    minutesBefore(DEFAULT_LOCAL_TIME, 1),
  )
  return lines([line!.replaceAll('unix:/run/php/php8.2-fpm.sock', address)])
}

function rhel(options: LayoutOptions) {
  return snapshotFromLayout('rhel-remi', options)
}

describe('socket-permission: SELinux denying nginx what file permissions allow', () => {
  it('a unix socket nginx may open by its permissions (the ACL names nginx): SELinux is named, with what to run', () => {
    const snapshot = rhel({nginxLog: eacces('unix:/run/php-fpm/www.sock')})
    expect(snapshot.selinux).toBe('enforcing')
    const [finding, ...others] = findingsOf(planFor(snapshot), 'socket-permission')
    expect(others).toEqual([])
    expect(finding!.severity).toBe('critical')
    expect(finding!.summary).toMatch(
      /^SELinux denies nginx connecting to unix:\/run\/php-fpm\/www\.sock \(EACCES, though file permissions allow it\)/,
    )
    expect(finding!.summary).toContain("semanage fcontext -a -t httpd_var_run_t '/run/php-fpm(/.*)?'")
    expect(finding!.evidence[0]).toEqual({kind: 'status', text: 'SELinux is enforcing'})
    expect(finding!.evidence.some((item) => item.text.includes('(13: Permission denied)'))).toBe(true)
    expect(finding!.remedies).toEqual([])
  })

  it('a TCP port outside http_port_t: the boolean or a port label', () => {
    const snapshot = rhel({
      fpm: [{pool: 'www', key: 'listen', value: '127.0.0.1:9001'}],
      files: {[UPSTREAM_CONF]: (text) => text.replace('server unix:/run/php-fpm/www.sock;', 'server 127.0.0.1:9001;')},
      nginxLog: eacces('127.0.0.1:9001'),
    })
    const [finding] = findingsOf(planFor(snapshot), 'socket-permission')
    expect(finding!.summary).toContain('setsebool -P httpd_can_network_connect 1')
    expect(finding!.summary).toContain('semanage port -a -t http_port_t -p tcp 9001')
  })

  it('nothing of SELinux where it does not enforce, nor without nginx’s EACCES', () => {
    const permissive = rhel({
      nginxLog: eacces('unix:/run/php-fpm/www.sock'),
      edit: (host) => {
        host.selinux = 'permissive'
      },
    })
    expect(findingsOf(planFor(permissive), 'socket-permission')).toEqual([])
    expect(findingsOf(planFor(rhel({})), 'socket-permission')).toEqual([])
  })
})
