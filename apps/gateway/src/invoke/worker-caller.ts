import { Inject, Injectable } from '@nestjs/common';
import { headers as natsHeaders, Msg, MsgHdrs } from '@nats-io/transport-node';
import { EparaError, FunctionRecord, Header, MediaType } from '@epara/contracts';
import { ForwardLedger, RequestRouter, Route, routeSubject, RouteTarget } from '@epara/core';
import { errorHeaders, errorPayload, NatsClient, natsFailure } from '@epara/nats';
import { ClusterReplicaView } from '../cluster/cluster-replica-view';
import { ClusterView } from '../cluster/cluster-view.service';
import { GATEWAY_CONFIG, GatewayConfig } from '../config';
import type { InvokeRequest } from './invoke.service';

/**
 * A request was waiting on a worker that is gone (its liveness probes say so): no answer will come.
 * Inference is safe to run again, so the caller retries it elsewhere while its deadline allows.
 */
export class DeviceGoneError extends Error {
  constructor(
    readonly device: string,
    why: string,
  ) {
    super(`device ${device} is gone (${why}) while a request waited on it`);
    this.name = 'DeviceGoneError';
  }
}

/**
 * Forwards sent this long before a worker's own disconnect time are resent too when it reconnects, ms:
 * what sat in the buffers of a server that died, and the difference between two hosts' clocks.
 */
const RECONNECT_MARGIN_MS = 250;

/** Longest a non-streamed generation may take, ms. */
const GENERATION_TIMEOUT_MS = 120_000;

/**
 * The gateway's one way to reach a worker, shared by plain invocations, pipeline stages and token
 * streams: the core's RequestRouter picks the route (503 when nothing is placed), this class builds the
 * worker headers, sends, counts the request in flight on its device while it waits, and turns a NATS
 * timeout into a 504.
 */
@Injectable()
export class WorkerCaller {
  private readonly router: RequestRouter<string>;
  /** Per device, how to fail the requests waiting on it when it is found gone. */
  private readonly waiting = new Map<string, Set<(e: DeviceGoneError) => void>>();
  /**
   * Direct-reply forwards per device: when the device is found gone, each is sent again elsewhere while
   * its deadline allows (`late` false) or its producer is told it was lost (`late` true).
   */
  private readonly forwards = new ForwardLedger<(late: boolean, why: string) => Promise<void>>();

  constructor(
    private readonly nats: NatsClient,
    private readonly cluster: ClusterView,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {
    this.router = new RequestRouter(new ClusterReplicaView(cluster), { policy: config.policy, random: Math.random });
    cluster.state.onDeviceGone((device, why) => {
      const waiters = this.waiting.get(device);
      this.waiting.delete(device);
      for (const fail of waiters ?? []) fail(new DeviceGoneError(device, why));
      const { resend, late } = this.forwards.takeGone(device, Date.now());
      // Best effort: the producer's own timeout remains if this fails too.
      for (const again of resend) again(false, why).catch(() => undefined);
      for (const tell of late) tell(true, why).catch(() => undefined);
    });
    cluster.state.onDeviceReconnected((device, disconnectedAt) => {
      const again = this.forwards.takeSentSince(device, disconnectedAt - RECONNECT_MARGIN_MS, Date.now());
      const why = 'its NATS connection dropped and came back';
      for (const send of again) send(false, why).catch(() => undefined);
    });
  }

  /** A request's deadline, epoch ms: the earlier of the client's own and arrival + the function's SLO. */
  deadlineOf(record: FunctionRecord, arrivalMs: number, clientDeadline?: number): number {
    return RequestRouter.deadlineOf(record.slo.latencyMs, arrivalMs, clientDeadline);
  }

  /**
   * Where a request of `record` (or its pipeline stage) goes now; 503 when no replica is placed.
   * `streamId` pins it to the replica that holds the stream's state (sticky routing).
   */
  route(record: FunctionRecord, stage?: number, streamId?: string): Route<string> {
    return this.placed(record, this.router.route(record.name, undefined, stage, streamId));
  }

  /** Where a request goes after `failed` had no responders: another replica, or the queue group. */
  retryRoute(record: FunctionRecord, failed: Route<string>): Route<string> {
    return this.placed(record, this.router.retryTarget(failed));
  }

  /**
   * Forwards a request with direct reply: the worker answers `reply` (the producer's inbox) itself.
   * Until its deadline the gateway keeps a way to send it once more, to another replica, should the
   * device be found gone — the producer then gets an answer instead of waiting out its timeout. Not for
   * a route pinned by a stream id.
   */
  async forward(
    record: FunctionRecord,
    route: Route<string>,
    data: Uint8Array,
    reply: string,
    h: MsgHdrs,
    deadline: number,
  ): Promise<void> {
    await this.nats.payloads.publish(this.nats.nc, routeSubject(route), data, { reply, headers: h });
    // A frame of a stateful stream is not sent again: the gateway cannot tell an answered forward from a
    // lost one, and a frame run twice, or after the later frames, would corrupt the stream on its new
    // replica. A lost frame ends in the producer's timeout; the stream's next frame restarts it there.
    if (!route.device || route.streamKey !== undefined) return;
    const device = route.device;
    this.forwards.record(
      device,
      deadline,
      async (late, why) => {
        if (late || Date.now() >= deadline) {
          const err = EparaError.deadline(
            `device ${device} was lost (${why}) while it held this request, and its deadline passed before it could be sent elsewhere`,
          );
          this.nats.nc.publish(reply, errorPayload(err), { headers: errorHeaders(err, h.get(Header.RequestId) || undefined) });
          return;
        }
        const again = this.retryRoute(record, route);
        await this.nats.payloads.publish(this.nats.nc, routeSubject(again), data, { reply, headers: h });
      },
      Date.now(),
    );
  }

  /** The headers a worker reads: content types, the deadline, the request id, the priority, the stream id. */
  headers(req: InvokeRequest, deadline: number, requestId: string): MsgHdrs {
    const h = natsHeaders();
    h.set(Header.ContentType, req.contentType ?? MediaType.Json);
    if (req.accept) h.set(Header.Accept, req.accept);
    h.set(Header.Deadline, String(deadline));
    h.set(Header.RequestId, requestId);
    if (req.priority !== undefined) h.set(Header.Priority, String(req.priority));
    if (req.streamId !== undefined) h.set(Header.StreamId, req.streamId);
    return h;
  }

  /** One request to a worker; bodies over the NATS max payload go through the object store both ways. */
  async send(
    route: Route<string>,
    body: Uint8Array,
    h: MsgHdrs,
    deadline: number,
    generation = false,
  ): Promise<{ msg: Msg; body: Uint8Array }> {
    // A whole generation takes far longer than its time to first token (the deadline it carries).
    const timeout = generation ? GENERATION_TIMEOUT_MS : Math.max(1, deadline - Date.now() + this.config.replyGraceMs);
    // While NATS is unreachable a request would only wait out its deadline in the client's buffer: say so now.
    const down = this.nats.health.down();
    if (down) throw new EparaError(503, `${down}; retry shortly`, { retryAfterMs: 1000 });
    const device = route.device;
    const request = this.nats.payloads.request(this.nats.nc, routeSubject(route), body, { timeout, headers: h, noMux: false });
    if (!device) return this.deadlineOnTimeout(request, routeSubject(route));
    this.cluster.begin(device);
    let fail: ((e: DeviceGoneError) => void) | undefined;
    const gone = new Promise<never>((_, reject) => (fail = reject));
    let waiters = this.waiting.get(device);
    if (!waiters) this.waiting.set(device, (waiters = new Set()));
    waiters.add(fail!);
    try {
      return await Promise.race([this.deadlineOnTimeout(request, device), gone]);
    } finally {
      waiters.delete(fail!);
      this.cluster.end(device);
      request.catch(() => undefined); // a request abandoned for a gone device still settles (times out) later
    }
  }

  private async deadlineOnTimeout<T>(request: Promise<T>, where: string): Promise<T> {
    try {
      return await request;
    } catch (e) {
      if (natsFailure.isTimeout(e)) throw EparaError.deadline(`no reply within the deadline (${where})`);
      throw e;
    }
  }

  private placed(record: FunctionRecord, route: Route<string>): Route<string> {
    if (route.target === RouteTarget.Unplaced) {
      throw EparaError.noCapacity(
        `function "${record.name}" has no replica placed yet: no worker has room for it, or the scheduler is not running`,
        { function: record.name },
      );
    }
    return route;
  }
}
