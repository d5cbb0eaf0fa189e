import { Inject, Injectable } from '@nestjs/common';
import { headers as natsHeaders } from '@nats-io/transport-node';
import { EparaError, FunctionRecord, Header, MediaType, Mode, subjects } from '@epara/contracts';
import { decodeJson, NatsClient, natsFailure, replyError } from '@epara/nats';
import { mergeSplitDetections, splitImageForDetector } from '@epara/kinds';
import type { ScoredRect } from '@epara/policy';
import { ClusterView } from '../cluster/cluster-view.service';
import { GATEWAY_CONFIG, GatewayConfig } from '../config';
import type { InvokeReply, InvokeRequest } from './invoke.service';

/**
 * The `sp` mode (latency × multi) for kinds that can split: the text-detection kind cuts one image into
 * overlapping bands, the gateway sends each to a different device at once, and the kind merges the
 * boxes — one large request finishes in about the time of its largest tile instead of the whole image.
 */
@Injectable()
export class SplitInvoker {
  constructor(
    private readonly nats: NatsClient,
    private readonly cluster: ClusterView,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  /** Live replicas, least loaded first. */
  private devicesFor(fn: string): string[] {
    return this.cluster
      .readyReplicas(fn)
      .sort((a, b) => a.state!.queued + a.state!.running - (b.state!.queued + b.state!.running) || a.device.localeCompare(b.device))
      .map((r) => r.device);
  }

  async invoke(record: FunctionRecord, req: InvokeRequest, deadline: number, requestId: string): Promise<InvokeReply> {
    const devices = this.devicesFor(record.name);
    if (devices.length === 0)
      throw EparaError.noCapacity(`function "${record.name}" has no live replica to split the request over`, { function: record.name });
    const image = await splitImageForDetector(req.body, devices.length);
    const { tiles } = image;
    const replies = await Promise.all(
      tiles.map(async (tile, i) => {
        const device = devices[i % devices.length];
        const h = natsHeaders();
        h.set(Header.ContentType, 'image/png');
        h.set(Header.Accept, MediaType.Json);
        h.set(Header.Deadline, String(deadline));
        h.set(Header.RequestId, `${requestId}.${i}`);
        this.cluster.begin(device);
        try {
          const msg = await this.nats.nc.request(subjects.device(Mode.Sp, record.name, device), tile.png, {
            timeout: Math.max(1, deadline - Date.now() + this.config.replyGraceMs),
            headers: h,
          });
          const err = replyError(msg);
          if (err) throw err;
          const doc = decodeJson<{ boxes: ScoredRect[] }>(msg.data, `the boxes of band ${i}`);
          return {
            device,
            execMs: Number(msg.headers?.get(Header.ExecMs) ?? 0),
            queueMs: Number(msg.headers?.get(Header.QueueMs) ?? 0),
            boxes: doc.boxes,
          };
        } catch (e) {
          if (natsFailure.isTimeout(e)) throw EparaError.deadline(`tile ${i} on ${device} did not answer within the deadline`);
          throw e;
        } finally {
          this.cluster.end(device);
        }
      }),
    );
    const boxes = mergeSplitDetections(
      image,
      replies.map((r) => r.boxes),
    );
    return {
      body: Buffer.from(JSON.stringify({ boxes, count: boxes.length, tiles: tiles.length })),
      contentType: MediaType.Json,
      headers: {
        [Header.Device]: replies.map((r) => r.device).join(','),
        [Header.Mode]: Mode.Sp,
        [Header.BatchSize]: '1',
        [Header.ExecMs]: Math.max(...replies.map((r) => r.execMs)).toFixed(3),
        [Header.QueueMs]: Math.max(...replies.map((r) => r.queueMs)).toFixed(3),
        [Header.RequestId]: requestId,
      },
    };
  }
}
