import {readFileSync, readdirSync, statSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import type {FpmFile} from '../../../src/fpm/index.js'

/*
 * Where the php-fpm fixtures come from:
 * - debian-php82: /etc/php/8.2/fpm of a Debian 12 host (php8.2-fpm 8.2.36-1~deb12u1), verbatim.
 * - php-fpm-tt*.txt: `php-fpm8.2 -tt 2>&1` (8.2.36) run on each tree in a private mount namespace
 *   with the tree mounted at its real path, so the paths in the output are the real ones. The 8.1
 *   capture is that run with listen.backlog set to 511, the default of an 8.1 binary on Linux.
 * - debian-multi-php: the Debian files with 8.2 -> 8.1 for the 8.1 install, plus a hand-written pool.
 * - rhel-remi: Remi's php-fpm-www.conf (remicollet/remirepo php/php71) with the spec's "Switch to
 *   UDS" edits (/run/php-fpm/www.sock, listen.acl_users uncommented); php-fpm.conf from an EL host.
 * - alpine-php82, docker-php-fpm: the 8.2 upstream files (as shipped in Debian) with Alpine's
 *   php82-fpm-version-suffix paths / the docker-library Dockerfile's docker.conf and zz-docker.conf.
 * - fpm-invalid: a Debian tree that php-fpm refuses, and *-checks/ pool files each captured alone.
 */
export const FIXTURES = fileURLToPath(new URL('../../../fixtures/', import.meta.url))

/** The config files of a fixture layout, with the paths they have on the host (`/etc/...`). */
export function fixtureTree(layout: string, ...roots: string[]): FpmFile[] {
  const base = join(FIXTURES, layout)
  return roots.flatMap((root) =>
    walk(join(base, root)).map((path) => ({path: path.slice(base.length), content: readFileSync(path, 'utf8')})),
  )
}

export function fixtureText(layout: string, relative: string): string {
  return readFileSync(join(FIXTURES, layout, relative), 'utf8')
}

/** Replace one file of a tree (by host path) with new content. */
export function withFile(files: FpmFile[], path: string, content: string): FpmFile[] {
  return files.map((file) => (file.path === path ? {path, content} : file))
}

export function fileContent(files: FpmFile[], path: string): string {
  const file = files.find((candidate) => candidate.path === path)
  if (!file) throw new Error(`no ${path} in the tree`)
  return file.content
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? walk(path) : [path]
  })
}
