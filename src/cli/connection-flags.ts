import {Flags} from '@oclif/core'

/** Flags for reaching hosts, spelled as Ansible spells them where it has a spelling. */
export const connectionFlags = {
  inventory: Flags.string({
    char: 'i',
    description:
      'Ansible inventory: an INI or YAML file, an executable dynamic inventory (run with --list), ' +
      'or a comma-separated host list ending in a comma.',
    env: 'FPMFIX_INVENTORY',
    helpGroup: 'CONNECTION',
  }),
  limit: Flags.string({
    char: 'l',
    description:
      'Narrow the targets further (Ansible pattern); with apply PLANFILE, which of the plan’s hosts to apply.',
    helpGroup: 'CONNECTION',
  }),
  user: Flags.string({
    char: 'u',
    description: 'SSH login user (inventory ansible_user wins per host).',
    helpGroup: 'CONNECTION',
  }),
  'private-key': Flags.string({
    description: 'SSH private key file (passphrase-protected keys prompt on a TTY).',
    aliases: ['key-file'],
    env: 'FPMFIX_PRIVATE_KEY',
    helpGroup: 'CONNECTION',
  }),
  become: Flags.boolean({
    char: 'b',
    description: 'Run as root via `sudo -n` (never prompts; a password-requiring sudo is an error).',
    helpGroup: 'CONNECTION',
  }),
  forks: Flags.integer({
    char: 'f',
    description: 'Hosts handled in parallel.',
    default: 10,
    min: 1,
    max: 500,
    helpGroup: 'CONNECTION',
  }),
  'known-hosts': Flags.string({
    description:
      'known_hosts file to verify host keys against [default: ssh config UserKnownHostsFile, else ~/.ssh/known_hosts].',
    env: 'FPMFIX_KNOWN_HOSTS',
    helpGroup: 'CONNECTION',
  }),
  'accept-new-host-keys': Flags.boolean({
    description: 'Trust and record host keys seen for the first time (never a changed key).',
    helpGroup: 'CONNECTION',
  }),
  'connect-timeout': Flags.integer({
    description:
      'Seconds to wait for a host to answer before giving up on it [default: ssh config ConnectTimeout, else 10].',
    min: 1,
    max: 600,
    helpGroup: 'CONNECTION',
  }),
}

export interface ConnectionFlagValues {
  inventory?: string | undefined
  limit?: string | undefined
  user?: string | undefined
  'private-key'?: string | undefined
  become: boolean
  forks: number
  'known-hosts'?: string | undefined
  'accept-new-host-keys': boolean
  'connect-timeout'?: number | undefined
}
