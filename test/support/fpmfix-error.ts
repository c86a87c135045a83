import {expect} from 'vitest'

import {FpmfixError} from '../../src/errors.js'

/** The FpmfixError `run` throws; the test fails when it throws anything else, or nothing. */
export function fpmfixError(run: () => unknown): FpmfixError {
  try {
    run()
  } catch (error) {
    expect(error).toBeInstanceOf(FpmfixError)
    return error as FpmfixError
  }
  throw new Error('expected an FpmfixError, nothing was thrown')
}

/** The FpmfixError `promise` rejects with; the test fails when it rejects with anything else, or resolves. */
export async function fpmfixRejection(promise: Promise<unknown>): Promise<FpmfixError> {
  try {
    await promise
  } catch (error) {
    expect(error).toBeInstanceOf(FpmfixError)
    return error as FpmfixError
  }
  throw new Error('expected an FpmfixError, but the promise resolved')
}
