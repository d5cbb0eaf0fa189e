import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EPARA_VERSION } from './version';

it('is the version package.json declares', () => {
  expect(EPARA_VERSION).toBe(JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'package.json'), 'utf8')).version);
});
