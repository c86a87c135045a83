import {FpmfixError} from '../../errors.js'

/** Who we were talking to, for messages. */
export interface SshEndpoint {
  /** Inventory name or ssh alias; becomes FpmfixError.host. */
  label: string
  host: string
  port: number
  user: string
}

/** ssh2 tags errors with `level`; sockets add a Node errno `code`. */
interface Ssh2Error extends Error {
  level?: string
  code?: string | number
}

export function endpointText(endpoint: SshEndpoint): string {
  const address = `${endpoint.host}:${endpoint.port}`
  return endpoint.label === endpoint.host ? address : `${endpoint.label} (${address})`
}

/** Map an error raised while connecting (before the session is ready) to a stable code. */
export function connectError(
  error: Ssh2Error,
  endpoint: SshEndpoint,
  authMethodsTried: readonly string[],
): FpmfixError {
  const where = endpointText(endpoint)
  const options = {host: endpoint.label, cause: error}
  const errno = typeof error.code === 'string' ? error.code : undefined
  if (errno === 'ECONNREFUSED') {
    return new FpmfixError(
      'SSH_CONNECT_REFUSED',
      `connection refused by ${where} — is sshd running / is the port right?`,
      {
        ...options,
        hint: `Check that sshd listens on port ${endpoint.port} and that no firewall rejects the connection.`,
      },
    )
  }
  if (errno === 'ENOTFOUND' || errno === 'EAI_AGAIN' || error.level === 'client-dns') {
    return new FpmfixError('SSH_DNS', `cannot resolve host name ${endpoint.host} (${errno ?? error.message})`, {
      ...options,
      hint: 'Check the spelling of the host, its ansible_host / HostName, and the DNS configuration.',
    })
  }
  if (
    errno === 'ETIMEDOUT' ||
    errno === 'EHOSTUNREACH' ||
    errno === 'ENETUNREACH' ||
    error.level === 'client-timeout'
  ) {
    return timeoutError(endpoint, error.message, error)
  }
  if (error.level === 'client-authentication') return authError(endpoint, authMethodsTried, error)
  if (error.level === 'client-socket') {
    return new FpmfixError(
      'SSH_PROTOCOL',
      `connection to ${where} failed during the SSH handshake: ${error.message}`,
      options,
    )
  }
  const noCommonAlgorithm = /no matching/i.test(error.message)
  return new FpmfixError('SSH_PROTOCOL', `SSH handshake with ${where} failed: ${error.message}`, {
    ...options,
    hint: noCommonAlgorithm
      ? 'The server only offers algorithms this client lacks (e.g. post-quantum-only key exchange); allow a classic one in its sshd_config.'
      : `Check that port ${endpoint.port} is an SSH server and not another service.`,
  })
}

export function timeoutError(endpoint: SshEndpoint, reason: string, cause?: unknown): FpmfixError {
  return new FpmfixError('SSH_CONNECT_TIMEOUT', `no SSH session with ${endpointText(endpoint)}: ${reason}`, {
    host: endpoint.label,
    cause,
    hint: 'Check that the host is up, the address and port are right and a firewall does not drop the traffic.',
  })
}

export function authError(endpoint: SshEndpoint, methodsTried: readonly string[], cause?: unknown): FpmfixError {
  const tried = methodsTried.length === 0 ? 'none available (no private key, no ssh-agent)' : methodsTried.join(', ')
  return new FpmfixError(
    'SSH_AUTH_FAILED',
    `authentication failed for ${endpoint.user}@${endpoint.host}:${endpoint.port}; methods tried: ${tried}`,
    {
      host: endpoint.label,
      cause,
      hint:
        'Check the user (-u / ansible_user), pass the right key with --private-key, or load it into ssh-agent; ' +
        'the public key must be in ~/.ssh/authorized_keys on the host.',
      details: {user: endpoint.user, methodsTried: [...methodsTried]},
    },
  )
}

export function disconnectedError(label: string, reason: string, cause?: unknown): FpmfixError {
  return new FpmfixError('SSH_DISCONNECTED', `SSH connection to ${label} was lost: ${reason}`, {
    host: label,
    cause,
    hint: 'The host may have rebooted, sshd restarted or the network dropped; re-run the command.',
  })
}
