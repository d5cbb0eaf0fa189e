// Unit tests: pure logic, no server. Integration/e2e: real nats-server started by the test on a free port.
const base = {
  moduleFileExtensions: ['js', 'json', 'ts'],
  rootDir: '.',
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.spec.json' }] },
  moduleNameMapper: {
    '^@epara/(contracts|core|generation|goodput|kinds|nats|policy|runtime|workload)$': '<rootDir>/libs/$1/src',
    '^@epara/(contracts|core|generation|goodput|kinds|nats|policy|runtime|workload)/(.*)$': '<rootDir>/libs/$1/src/$2',
    '^@epara/sim$': '<rootDir>/apps/sim/src',
  },
  // onnxruntime-node tensors and msgpackr typed arrays need the host realm's typed-array constructors.
  testEnvironment: '<rootDir>/test/support/node-realm-env.js',
};
module.exports = {
  // Per-test limit; e2e tests start real servers. Set here: jest reads testTimeout from the root config only.
  testTimeout: 120000,
  projects: [
    { ...base, displayName: 'unit', testMatch: ['<rootDir>/{apps,libs,bench,docker,scripts}/**/*.spec.ts'] },
    { ...base, displayName: 'e2e', testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'] },
  ],
};
