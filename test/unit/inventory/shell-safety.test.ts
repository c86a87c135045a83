import {existsSync, mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'

import {parseInventory, resolveTargets} from '../../../src/inventory/index.js'
import {thrown} from './fixture.js'

describe('odd characters in inventory names and values are plain strings', () => {
  const directory = mkdtempSync(join(tmpdir(), 'fpmfix-shell-'))
  const marker = join(directory, 'evaluated')
  afterAll(() => rmSync(directory, {recursive: true, force: true}))

  const text = [
    '[odd]',
    `'$(touch ${marker})' ansible_host='\`touch ${marker}\`'`,
    `web;reboot motd="; rm -rf / #" banner='a|b && c'`,
    `'$HOME' ansible_user='$(id -un)'`,
    '[odd:vars]',
    `note=$(touch ${marker}) # stays text`,
  ].join('\n')
  const inventory = parseInventory(text, 'odd.ini')

  it('keeps host names verbatim', () => {
    expect([...inventory.hosts.keys()]).toEqual([`$(touch ${marker})`, 'web;reboot', '$HOME'])
  })

  it('keeps variable values verbatim', () => {
    expect(inventory.hosts.get('web;reboot')?.vars).toMatchObject({
      motd: '; rm -rf / #',
      banner: 'a|b && c',
      note: `$(touch ${marker}) # stays text`,
    })
  })

  it('resolves such hosts by their exact names into targets holding the same strings', () => {
    const targets = resolveTargets([`$(touch ${marker})`, 'web;reboot', '$HOME'], inventory, {})
    expect(targets.map((target) => [target.name, target.address, target.user])).toEqual([
      [`$(touch ${marker})`, `\`touch ${marker}\``, undefined],
      ['web;reboot', 'web;reboot', undefined],
      ['$HOME', '$HOME', '$(id -un)'],
    ])
    expect(existsSync(marker)).toBe(false)
  })

  it('refuses such names as hosts outside an inventory', () => {
    for (const spec of [`$(touch ${marker})`, 'web;reboot', 'root@`id`', 'a|b.example.com']) {
      expect(thrown(() => resolveTargets([spec], undefined, {})).code).toBe('BAD_TARGET')
    }
    expect(existsSync(marker)).toBe(false)
  })
})
