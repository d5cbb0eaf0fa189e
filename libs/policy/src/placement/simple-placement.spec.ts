import { simplePlacement } from './simple-placement';
import { dev, fn, GB, memoryUsed } from '../../test/placement-fixtures';

describe(simplePlacement.name, () => {
  it('puts every function on every live device where it fits', () => {
    const functions = [fn('a', { memoryBytes: 3 * GB }), fn('b', { memoryBytes: 3 * GB }), fn('c', { memoryBytes: 3 * GB })];
    const devices = [dev('x', { memoryBytes: 6 * GB }), dev('y', { memoryBytes: 10 * GB }), dev('z', { lost: true })];
    const d = simplePlacement(functions, devices);
    expect(d.byDevice).toEqual({ x: ['a', 'b'], y: ['a', 'b', 'c'], z: [] });
    const used = memoryUsed(d.byDevice, functions);
    expect(used.x).toBeLessThanOrEqual(6 * GB);
    expect(d.changes.removed).toEqual([]);
    expect(d.changes.added).toHaveLength(5);
  });

  it('reports changes against the current placement and what fits nowhere', () => {
    const d = simplePlacement([fn('a'), fn('huge', { memoryBytes: 100 * GB })], [dev('x')], { x: ['a'], gone: ['a'] });
    expect(d.changes).toEqual({ added: [], removed: [['a', 'gone']] });
    expect(d.reason).toContain('unplaced (fits no device): huge');
    expect(d.estimatedGoodput).toBeCloseTo(10);
  });
});
