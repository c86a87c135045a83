export type {
  IncludeSite,
  NginxArg,
  NginxConfig,
  NginxDirective,
  NginxSourceFile,
  NginxWarning,
  SourcePosition,
  TreePath,
} from './types.js'
export {splitNginxDump, formatNginxDump} from './dump.js'
export {parseNginxFile} from './parser.js'
export {unescapeNginxWord} from './lexer.js'
export {assembleNginxConfig, parseNginxDump} from './assemble.js'
export {isGlob as isNginxGlob, globMatch as matchNginxGlob} from '../util/glob.js'
export {walkNginx, directiveAt, ancestorsAt, childrenNamed, type WalkContext} from './walk.js'
export {parseNginxAddress, formatNginxAddress, type NginxAddress, type ParsedAddress} from './address.js'
export {findUpstreams, type UpstreamBlock, type UpstreamServer} from './upstream.js'
export {variablesIn, variableValues, type VariableEntry, type VariableSource, type VariableValues} from './variables.js'
export {findFastcgiPasses, type FastcgiPass, type FastcgiTarget, type LiteralTarget} from './fastcgi-pass.js'
export {
  effectiveDirective,
  effectiveFastcgiSettings,
  FASTCGI_DEFAULTS,
  FASTCGI_SETTING_NAMES,
  type EffectiveValue,
  type FastcgiSettingName,
} from './effective.js'
export {
  nginxWorkerUser,
  nginxPidFile,
  nginxErrorLogs,
  NGINX_DEFAULT_USER,
  type NginxWorkerUser,
  type NginxErrorLog,
} from './main-context.js'
export {parseNginxSize, parseNginxDuration, formatNginxSize, formatNginxDuration} from './units.js'
export {setDirectiveArgs, insertDirective, removeDirective, locatorOf, type DirectiveLocator} from './editor.js'
export {encodeNginxArg, detectEol} from './editor-text.js'
export {
  derivedBusyBuffers,
  fastcgiBuffersProblem,
  maxBusyBuffers,
  minBusyBuffers,
  type FastcgiBuffers,
} from './fastcgi-buffers.js'
