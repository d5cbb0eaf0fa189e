import { EventKind } from '@epara/contracts';
import { NatsEventBus } from './nats-event-bus';

describe('NatsEventBus', () => {
  const published: { subject: string; doc: unknown }[] = [];
  const nc = {
    publish: (subject: string, data?: Uint8Array) => void published.push({ subject, doc: JSON.parse(Buffer.from(data!).toString()) }),
  };
  const sut = new NatsEventBus(nc, () => 1234);

  beforeEach(() => (published.length = 0));

  it("publishes { kind, at, ...payload } on the kind's subject", () => {
    sut.emit(EventKind.Deleted, { function: 'ocr' });
    expect(published).toEqual([{ subject: 'epara.v1.events.deleted', doc: { kind: 'deleted', at: 1234, function: 'ocr' } }]);
  });

  it('keeps the time a placement carries', () => {
    sut.emit(EventKind.Placed, { device: 'd1', assignments: [], reason: 'r', at: 99 });
    expect(published[0].doc).toEqual({ kind: 'placed', at: 99, device: 'd1', assignments: [], reason: 'r' });
  });
});
