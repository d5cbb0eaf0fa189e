import { formatSeconds, Progress, progressText } from './progress';

describe(progressText.name, () => {
  it('shows bytes with a bar, the elapsed time and what is left at the pace so far', () => {
    expect(progressText({ label: 'uploading m.onnx', done: 25e6, total: 100e6, unit: 'bytes', elapsedMs: 2000 })).toBe(
      'uploading m.onnx   25% [#####...............] 25.0 of 100.0 MB · 2 s, about 6 s left',
    );
  });

  it('counts a timed run down by its known length, with a note', () => {
    expect(progressText({ label: 'run 2/6', done: 12_000, total: 30_000, unit: 'ms', elapsedMs: 12_000, note: '812 answered' })).toBe(
      'run 2/6   40% [########............] 12 s of 30 s · 12 s, 18 s left · 812 answered',
    );
  });

  it('without a total shows what is done and the time only', () => {
    expect(progressText({ label: 'npm pack x', done: 0, unit: 'bytes', elapsedMs: 3400 })).toBe('npm pack x · 3 s');
  });

  it.each([
    [400, '0 s'],
    [59_400, '59 s'],
    [125_000, '2 min 05 s'],
  ])('formatSeconds(%d) = %s', (ms, text) => expect(formatSeconds(ms)).toBe(text));
});

describe(Progress.name, () => {
  const clock = () => {
    let t = 0;
    return { now: () => t, advance: (ms: number) => (t += ms) };
  };

  it('off a terminal tells a line at each tenth and the finish, never the same tenth twice', () => {
    const lines: string[] = [];
    const c = clock();
    const p = new Progress({ line: (l) => lines.push(l) }, 'up', 100, 'count', c.now);
    for (let done = 1; done < 100; done++) {
      c.advance(10);
      p.update(done);
    }
    p.finish('done');
    expect(lines).toHaveLength(10);
    expect(lines[0]).toMatch(/^up {3}10% /);
    expect(lines[8]).toMatch(/^up {3}90% /);
    expect(lines[9]).toBe('done');
  });

  it('on a terminal redraws one line in place at most every 100 ms, and clears it before the finish', () => {
    const drawn: string[] = [];
    const lines: string[] = [];
    const c = clock();
    const p = new Progress({ tty: (t) => drawn.push(t), line: (l) => lines.push(l), columns: 30 }, 'uploading', 1000, 'bytes', c.now);
    p.update(100);
    c.advance(50);
    p.update(200); // too soon
    c.advance(60);
    p.update(300);
    p.finish('uploaded');
    expect(drawn).toHaveLength(3);
    expect(drawn[0].startsWith('\r\x1b[Kuploading   10% ')).toBe(true);
    expect(drawn.every((d) => d.length <= '\r\x1b[K'.length + 29)).toBe(true);
    expect(drawn[2]).toBe('\r\x1b[K');
    expect(lines).toEqual(['uploaded']);
  });
});
