import { loadWorkerConfig } from './config';

describe(loadWorkerConfig.name, () => {
  it('keeps the defaults when nothing is set', () => {
    expect(loadWorkerConfig({})).toMatchObject({ threads: 1, maxQueue: 1024, heartbeatMs: 1000, profile: true, batchingOff: false });
  });

  it('reads every boolean spelling; EPARA_SESSION_THREADS unset stays automatic', () => {
    const c = loadWorkerConfig({
      EPARA_PROFILE: 'no',
      EPARA_BATCHING_OFF: 'ON',
      EPARA_SESSION_THREADS: '0',
      EPARA_DEVICE_MEMORY_MB: '2048',
    });
    expect(c).toMatchObject({ profile: false, batchingOff: true, sessionThreads: false, memoryBytes: 2048 * 1024 * 1024 });
    expect(loadWorkerConfig({ EPARA_SESSION_THREADS: 'yes' }).sessionThreads).toBe(true);
  });

  it.each([
    ['EPARA_PROFILE', 'flase', 'EPARA_PROFILE must be one of 1/true/on/yes/0/false/off/no (any case)'],
    ['EPARA_BATCHING_OFF', '', 'EPARA_BATCHING_OFF must be one of'],
    ['EPARA_SESSION_THREADS', 'auto', 'EPARA_SESSION_THREADS must be one of'],
    ['EPARA_MAX_QUEUE', '1k', 'EPARA_MAX_QUEUE must be an integer from 1 to 1000000'],
    ['EPARA_DEVICE_MEMORY_MB', '2GB', 'EPARA_DEVICE_MEMORY_MB must be an integer from 1 to 10000000'],
    ['EPARA_THREADS', '1.5', 'EPARA_THREADS must be an integer from 1 to 256'],
  ])('%s=%j stops the worker at start', (name, value, message) => {
    expect(() => loadWorkerConfig({ [name]: value })).toThrow(`${name}=${JSON.stringify(value)} (${message}`);
  });
});
