// Helpers shared by scripts/start.mjs, scripts/test.mjs and scripts/build.mjs. Plain Node, no npm
// dependencies: they run before `npm install` has.
export { APPS, appEntry, compiledRuntimeModule, ensureBuild, nestBuild, whyBuild } from './build.mjs';
export { ensureDeps, installEnv, whyInstall } from './deps.mjs';
export { color, formatDuration, runMain, ScriptError, step, useColor, warn } from './log.mjs';
export { ensureTestFonts } from './fonts.mjs';
export { ensureModels, modelCacheDir } from './models.mjs';
export {
  BUNDLED_CONFIG,
  bundledNatsServerCommand,
  DEFAULT_NATS_URL,
  ensureNatsServerBinary,
  findNatsServerBinary,
  isLoopbackHost,
  jetStreamOffMessage,
  natsAnswers,
  parseNatsUrl,
  probeNats,
} from './nats.mjs';
export {
  aptInstall,
  CHROMIUM,
  canInstallWithApt,
  ensureBinary,
  ensureChromiumBinary,
  ensureOsCommands,
  findBinary,
  findCommand,
} from './os-packages.mjs';
export { fromRoot, localBin, npmCmd, repoRoot } from './paths.mjs';
export { Supervisor } from './supervisor.mjs';
