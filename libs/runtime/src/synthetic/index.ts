export { buildAdd, buildCnn, buildHalfAdd, buildMlp, writeSyntheticModels } from './models';
export type { CnnOptions, MlpOptions, SyntheticModelName } from './models';
export { mulberry32 } from './prng';
