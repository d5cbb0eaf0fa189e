import { Injectable } from '@nestjs/common';
import { headers as natsHeaders } from '@nats-io/transport-node';
import {
  decodeInvocation,
  decodeResultTensors,
  encodeResult,
  encodeTensorsMsgpack,
  EparaError,
  FunctionRecord,
  Header,
  MediaType,
} from '@epara/contracts';
import { PipelinePlan } from '@epara/core';
import { natsFailure, replyError } from '@epara/nats';
import type { InvokeReply, InvokeRequest } from './invoke.service';
import { WorkerCaller } from './worker-caller';

/**
 * The `pp` mode: the request flows stage to stage (stage → gateway → stage). The core's PipelinePlan
 * says what each stage reads and returns and what the reply is; this loop only sends each step as
 * msgpack to a replica of its stage and hands the outputs back to the run.
 */
@Injectable()
export class PipelineInvoker {
  constructor(private readonly caller: WorkerCaller) {}

  async invoke(record: FunctionRecord, req: InvokeRequest, deadline: number, requestId: string): Promise<InvokeReply> {
    const invocation = decodeInvocation(req.body, req.contentType);
    if (invocation.type !== 'tensors')
      throw EparaError.badInput(`function "${record.name}" takes tensors (JSON or msgpack), not ${invocation.mediaType}`);
    const run = PipelinePlan.of(record, invocation.outputNames).start(invocation.inputs, deadline, requestId);
    for (let step = run.next(); step; step = run.next()) {
      const h = natsHeaders();
      for (const [k, v] of Object.entries(step.headers)) h.set(k, v);
      const stage = step.stage.index;
      const route = this.caller.route(record, stage);
      const body = encodeTensorsMsgpack(step.feeds, undefined, [...step.stage.returns]);
      const reply = await this.caller.send(route, body, h, deadline).catch((e) => {
        if (natsFailure.isNoResponders(e)) throw EparaError.noCapacity(`no worker answered for stage ${stage} of "${record.name}"`);
        throw e;
      });
      const err = replyError(reply.msg);
      if (err) throw err;
      run.stageDone(decodeResultTensors(reply.body, MediaType.Msgpack), {
        device: reply.msg.headers?.get(Header.Device) ?? route.device ?? '?',
        execMs: Number(reply.msg.headers?.get(Header.ExecMs) ?? 0),
        queueMs: Number(reply.msg.headers?.get(Header.QueueMs) ?? 0),
      });
    }
    const { outputs, headers } = run.reply();
    const { body, contentType } = encodeResult(
      { type: 'tensors', outputs },
      { modelName: record.name, id: invocation.id },
      req.accept ?? req.contentType,
    );
    return { body, contentType, headers };
  }
}
