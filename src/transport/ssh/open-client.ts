import type {Duplex} from 'node:stream'
import ssh2 from 'ssh2'
import type {AnyAuthMethod, AuthHandlerMiddleware, Client, ConnectConfig, ParsedKey} from 'ssh2'
import {FpmfixError, isFpmfixError} from '../../errors.js'
import type {HostKeyCheck} from './host-key-check.js'
import {loadPrivateKey, type PassphrasePrompt} from './private-key.js'
import {authError, connectError, endpointText, timeoutError, type SshEndpoint} from './ssh-errors.js'

/** One way to authenticate, in the order they are tried. */
export type AuthStep =
  | {kind: 'key'; file: string; key: ParsedKey}
  | {kind: 'agent'; socket: string}
  /** A key named by ssh config: loaded only when reached, skipped when unusable. */
  | {kind: 'identity-file'; file: string}

export interface OpenClientParams {
  endpoint: SshEndpoint
  /** A forwarded channel from the previous jump host; a TCP connection is made when absent. */
  sock?: Duplex
  authSteps: readonly AuthStep[]
  hostKeys: HostKeyCheck
  connectTimeoutMs: number
  keepaliveIntervalMs: number
  promptPassphrase?: PassphrasePrompt
}

export interface OpenedClient {
  client: Client
  /** The method that logged in: a key file, or the agent. */
  auth: {kind: 'key-file'; file: string} | {kind: 'agent'} | undefined
}

const FINAL_AUTH_FAILURE = 'All configured authentication methods failed'

/**
 * Open one SSH session: TCP (or the given channel), host key check, auth.
 * Settles exactly once; the connect timeout is paused while a passphrase
 * prompt waits for the user.
 */
export function openSshClient(params: OpenClientParams): Promise<OpenedClient> {
  const {endpoint} = params
  return new Promise((resolve, reject) => {
    const client = new ssh2.Client()
    const methodsTried: string[] = []
    let lastStep: AuthStep | undefined
    let hostKeyRefusal: FpmfixError | undefined
    let settled = false
    let timer: NodeJS.Timeout | undefined

    const fail = (error: FpmfixError): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      client.destroy()
      reject(error)
    }
    const startTimer = (): void => {
      clearTimeout(timer)
      timer = setTimeout(() => {
        fail(timeoutError(endpoint, `no SSH handshake within ${params.connectTimeoutMs} ms`))
      }, params.connectTimeoutMs)
    }
    const pauseTimer = (): void => clearTimeout(timer)

    client.on('error', (error: Error & {level?: string}) => {
      if (settled) return
      // ssh2 reports a failed agent or a failed signature and then moves on to the next method.
      if (error.level === 'agent') return
      if (error.level === 'client-authentication' && error.message !== FINAL_AUTH_FAILURE) return
      fail(hostKeyRefusal ?? connectError(error, endpoint, methodsTried))
    })
    client.on('close', () => {
      fail(
        hostKeyRefusal ??
          new FpmfixError('SSH_PROTOCOL', `${endpointText(endpoint)} closed the connection during the SSH handshake`, {
            host: endpoint.label,
          }),
      )
    })
    client.on('ready', () => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      const auth: OpenedClient['auth'] =
        lastStep === undefined
          ? undefined
          : lastStep.kind === 'agent'
            ? {kind: 'agent'}
            : {kind: 'key-file', file: lastStep.file}
      resolve({client, auth})
    })

    const config: ConnectConfig = {
      host: endpoint.host,
      port: endpoint.port,
      username: endpoint.user,
      readyTimeout: 0,
      keepaliveInterval: params.keepaliveIntervalMs,
      hostVerifier: (rawKey: Buffer, verify: (valid: boolean) => void) => {
        params.hostKeys.verify(rawKey).then(
          () => verify(true),
          (error: unknown) => {
            hostKeyRefusal = isFpmfixError(error) ? error : connectError(error as Error, endpoint, methodsTried)
            verify(false)
          },
        )
      },
      authHandler: authHandler(params, methodsTried, {pauseTimer, startTimer, fail}, (step) => (lastStep = step)),
    }
    const preferred = params.hostKeys.preferredAlgorithms
    if (preferred.length > 0) config.algorithms = {serverHostKey: {remove: preferred, prepend: preferred, append: []}}
    if (params.sock !== undefined) config.sock = params.sock

    startTimer()
    try {
      client.connect(config)
    } catch (error) {
      fail(connectError(error as Error, endpoint, methodsTried))
    }
  })
}

interface TimerControl {
  pauseTimer(): void
  startTimer(): void
  fail(error: FpmfixError): void
}

function authHandler(
  params: OpenClientParams,
  methodsTried: string[],
  control: TimerControl,
  trying: (step: AuthStep) => void,
): AuthHandlerMiddleware {
  const username = params.endpoint.user
  let next = 0
  const nextMethod = async (): Promise<AnyAuthMethod | false> => {
    while (next < params.authSteps.length) {
      const step = params.authSteps[next++]
      if (step === undefined) break
      if (step.kind === 'agent') {
        trying(step)
        methodsTried.push(`agent (${step.socket})`)
        return {type: 'agent', username, agent: step.socket}
      }
      const key = step.kind === 'key' ? step.key : await loadIdentityFile(step.file, params, control)
      if (key === undefined) continue
      trying(step)
      methodsTried.push(`publickey (${step.file})`)
      return {type: 'publickey', username, key}
    }
    return false
  }
  return (_methodsLeft, _partialSuccess, callback) => {
    nextMethod().then(
      (method) => (callback as (method: AnyAuthMethod | false) => void)(method),
      (error: unknown) => control.fail(authError(params.endpoint, methodsTried, error)),
    )
  }
}

async function loadIdentityFile(
  file: string,
  params: OpenClientParams,
  control: TimerControl,
): Promise<ParsedKey | undefined> {
  control.pauseTimer()
  try {
    return await loadPrivateKey(file, {promptPassphrase: params.promptPassphrase, host: params.endpoint.label})
  } catch {
    // Default identity files that cannot be used are skipped, exactly as ssh does.
    return undefined
  } finally {
    control.startTimer()
  }
}
