export {parseFpmTt} from './tt-parser.js'
export type {FpmEffectiveConfig, FpmTtArrayEntry, FpmTtLevel, FpmTtMessage, FpmTtPool} from './tt-parser.js'
export {guessPrefix, parseFpmFiles} from './files-parser.js'
export type {FpmFile, ParseFpmFilesOptions} from './files-parser.js'
export {globalSetting} from './global-setting.js'
export {effectivePool} from './effective-pool.js'
export type {EffectivePool, EffectivePoolOptions, PoolArrayValue} from './effective-pool.js'
export {editTarget} from './edit-target.js'
export type {EditTarget} from './edit-target.js'
export {pmSettingsOf, startServersNotice, validatePm, validatePmSettings} from './validate-pm.js'
export type {PmCheck, PmSettings, PmViolation} from './validate-pm.js'
export {pathProblem, predictFpmTest} from './predict-test.js'
export type {FpmTestPrediction, PredictFpmTestOptions} from './predict-test.js'
export {commentOutDirective, setPoolDirective} from './editor.js'
export type {SetDirectiveRequest} from './editor.js'
export {defaultListenBacklog} from './defaults.js'
export {formatIniValue, iniScalar, parseIniBoolean, parseIniLine} from './ini-line.js'
export type {IniEntryLine, IniLine} from './ini-line.js'
export {atoi, formatListen, parseDuration, parseListen, parseOctalMode, parseSize, splitList} from './values.js'
export type {
  FileLine,
  FpmConfigIssue,
  FpmConfigSource,
  FpmDirective,
  FpmInclude,
  FpmSectionOccurrence,
  ListenAddress,
  ProcessManager,
  SourcedValue,
  ValueSource,
} from './types.js'
