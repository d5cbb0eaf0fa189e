import { MeshSettling } from './mesh-settling';

describe(MeshSettling.name, () => {
  it('holds a worker back while its server is cut off and until every route is back', () => {
    const m = new MeshSettling(3000);
    expect(m.observe(3, 0)).toBeUndefined();
    expect(m.observe(1, 1000)).toMatch(/cut off from the other 2/);
    expect(m.observe(2, 5000)).toMatch(/rejoining its cluster \(routes to 1 of 2 servers back\)/);
    expect(m.observe(2, 5500)).toMatch(/rejoining/);
    expect(m.observe(3, 5600)).toBeUndefined();
    expect(m.observe(3, 9000)).toBeUndefined();
  });

  it('gives up waiting for a route that does not come back within the cap', () => {
    const m = new MeshSettling(3000);
    m.observe(3, 0);
    m.observe(1, 1000);
    expect(m.observe(2, 5000)).toMatch(/rejoining/);
    expect(m.observe(2, 8000)).toBeUndefined();
    // The cluster it knows is the one it sees now... and it still remembers how large it was.
    expect(m.observe(1, 9000)).toMatch(/cut off from the other 2/);
  });

  it('holds nothing back when one peer goes for good, nor outside a cluster', () => {
    const m = new MeshSettling();
    m.observe(3, 0);
    expect(m.observe(2, 1000)).toBeUndefined();
    expect(m.observe(2, 60_000)).toBeUndefined();
    const single = new MeshSettling();
    expect(single.observe(undefined, 0)).toBeUndefined();
    expect(single.observe(1, 0)).toBeUndefined();
    expect(single.observe(1, 10_000)).toBeUndefined();
  });
});
