import { loadSchedulerConfig } from './config';

describe(loadSchedulerConfig.name, () => {
  it('keeps the defaults when nothing is set', () => {
    expect(loadSchedulerConfig({})).toMatchObject({ periodMs: 10_000, deviceLostMs: 3_500, leaderRefreshMs: 2_000, port: 0 });
  });

  it('refuses a number with trailing text or none at all', () => {
    expect(() => loadSchedulerConfig({ EPARA_PLACEMENT_PERIOD_MS: '10s', EPARA_DEVICE_LOST_MS: ' ' })).toThrow(
      'invalid environment: EPARA_PLACEMENT_PERIOD_MS="10s" (EPARA_PLACEMENT_PERIOD_MS must be an integer from 200 to 3600000); ' +
        'EPARA_DEVICE_LOST_MS=" " (EPARA_DEVICE_LOST_MS must be an integer from 500 to 600000)',
    );
  });
});
