#!/usr/bin/env node
// `npm run build`: installs dependencies when needed, then compiles the three apps with `nest build --all`
// into dist/apps/<app>/apps/<app>/src/main.js. Exits non-zero, with the compiler's output, when it fails.
import { ensureDeps, formatDuration, nestBuild, runMain, step } from './lib/index.mjs';

runMain(async () => {
  ensureDeps();
  step('building the apps: nest build --all …');
  step(`built in ${formatDuration(nestBuild())}`);
});
