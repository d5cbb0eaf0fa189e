import { Inject, Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { METRICS, removeSeries } from '@epara/nats';

/** One unit's metric children, looked up once: a label lookup per observation showed in the worker's profile. */
export interface UnitMetrics {
  ok: { inc(): void };
  sloMissed: { inc(): void };
  good: { inc(): void };
  latency: { observe(seconds: number): void };
  queueTime: { observe(seconds: number): void };
  execTime: { observe(seconds: number): void };
  batchSize: { observe(size: number): void };
  /** The outcome counter for an error code (cached per code). */
  failed(code: number): { inc(): void };
}

const MS_BUCKETS_S = [0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5];

@Injectable()
export class WorkerMetrics {
  readonly requests: Counter<'function' | 'outcome'>;
  readonly good: Counter<'function'>;
  readonly latency: Histogram<'function'>;
  readonly queueTime: Histogram<'function'>;
  readonly execTime: Histogram<'function'>;
  readonly batchSize: Histogram<'function'>;
  readonly queueDepth: Gauge<'function'>;
  readonly utilization: Gauge;
  private readonly units = new Map<string, UnitMetrics>();

  constructor(@Inject(METRICS) registry: Registry) {
    const registers = [registry];
    this.requests = new Counter({
      name: 'epara_worker_requests_total',
      help: 'Requests answered by this device, by function and outcome (ok, slo_missed, or the error code)',
      labelNames: ['function', 'outcome'],
      registers,
    });
    this.good = new Counter({
      name: 'epara_worker_good_requests_total',
      help: 'Requests answered within their deadline (goodput = rate of this counter)',
      labelNames: ['function'],
      registers,
    });
    this.latency = new Histogram({
      name: 'epara_worker_request_duration_seconds',
      help: 'Arrival on this worker to reply, seconds',
      labelNames: ['function'],
      buckets: MS_BUCKETS_S,
      registers,
    });
    this.queueTime = new Histogram({
      name: 'epara_worker_queue_duration_seconds',
      help: 'Time waiting in the batcher, seconds',
      labelNames: ['function'],
      buckets: MS_BUCKETS_S,
      registers,
    });
    this.execTime = new Histogram({
      name: 'epara_worker_exec_duration_seconds',
      help: 'onnxruntime run time per batch, seconds',
      labelNames: ['function'],
      buckets: MS_BUCKETS_S,
      registers,
    });
    this.batchSize = new Histogram({
      name: 'epara_worker_batch_size',
      help: 'Requests per batch',
      labelNames: ['function'],
      buckets: [1, 2, 4, 8, 16, 32, 64, 128],
      registers,
    });
    this.queueDepth = new Gauge({
      name: 'epara_worker_queue_depth',
      help: 'Requests waiting in the batcher',
      labelNames: ['function'],
      registers,
    });
    this.utilization = new Gauge({
      name: 'epara_worker_utilization',
      help: 'Fraction of the last heartbeat interval the device spent running batches',
      registers,
    });
  }

  /** The metric children of one unit (a function, or `<fn>#<stage>`), created on first use. */
  forUnit(unit: string): UnitMetrics {
    let m = this.units.get(unit);
    if (m) return m;
    const byCode = new Map<number, { inc(): void }>();
    m = {
      ok: this.requests.labels({ function: unit, outcome: 'ok' }),
      sloMissed: this.requests.labels({ function: unit, outcome: 'slo_missed' }),
      good: this.good.labels({ function: unit }),
      latency: this.latency.labels({ function: unit }),
      queueTime: this.queueTime.labels({ function: unit }),
      execTime: this.execTime.labels({ function: unit }),
      batchSize: this.batchSize.labels({ function: unit }),
      failed: (code) => {
        let c = byCode.get(code);
        if (!c) byCode.set(code, (c = this.requests.labels({ function: unit, outcome: String(code) })));
        return c;
      },
    };
    this.units.set(unit, m);
    return m;
  }
  /** Drops a unit's series once it left this device (moved away or deleted): they would stay for good otherwise. */
  forget(unit: string): Promise<void> {
    this.units.delete(unit);
    return removeSeries([this.requests, this.good, this.latency, this.queueTime, this.execTime, this.batchSize, this.queueDepth], {
      function: unit,
    });
  }
}
