import { BenchProgress } from './progress';

describe(BenchProgress.name, () => {
  afterEach(() => jest.useRealTimers());

  it('off a terminal says once when each run starts, with its row and length, and starts no timer', () => {
    jest.useFakeTimers();
    const lines: string[] = [];
    const p = new BenchProgress({ line: (l) => lines.push(l) });
    p.plan(2);
    p.row('vad, batching on');
    const end = p.start({ lengthMs: 20_000, answered: () => 0 });
    expect(jest.getTimerCount()).toBe(0);
    end();
    p.start({ total: 500, answered: () => 0 })();
    expect(lines).toEqual(['[bench] run 1/2 vad, batching on: 20 s', '[bench] run 2/2: 500 requests']);
  });

  it('on a terminal redraws the run once a second with what is left and what was answered, and clears it at the end', () => {
    jest.useFakeTimers({ now: 0 });
    const drawn: string[] = [];
    const p = new BenchProgress({ tty: (t) => drawn.push(t), line: () => undefined });
    let answered = 0;
    p.row('mlp');
    const end = p.start({ lengthMs: 10_000, answered: () => answered });
    answered = 1234;
    jest.advanceTimersByTime(999);
    expect(drawn).toEqual([]);
    jest.advanceTimersByTime(1);
    expect(drawn).toEqual(['\r\x1b[K[bench] run 1 mlp   10% [##..................] 1 s of 10 s · 1 s, 9 s left · 1234 answered']);
    end();
    expect(drawn.at(-1)).toBe('\r\x1b[K');
    expect(jest.getTimerCount()).toBe(0);
  });
});
