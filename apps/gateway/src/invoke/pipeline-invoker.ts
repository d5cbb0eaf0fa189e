import { Injectable } from '@nestjs/common';
import { headers as natsHeaders } from '@nats-io/transport-node';
import {
  Datatype,
  decodeInvocation,
  decodeResultTensors,
  encodeResult,
  encodeTensorsMsgpack,
  EparaError,
  FunctionKind,
  FunctionRecord,
  Header,
  Invocation,
  kindCapabilities,
  MediaType,
  Tensor,
} from '@epara/contracts';
import { imageBytesOf, OcrTensor } from '@epara/kinds';
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
    // A kind built of several models (`ocr`) takes its own input, and its last stage answers in the kind's format.
    const ownStages = !!kindCapabilities(record.kind).stageModels;
    const run = PipelinePlan.of(record, ownStages ? [] : outputNamesOf(invocation)).start(
      this.inputsOf(record, invocation),
      deadline,
      requestId,
    );
    const lastStage = run.plan.stages[run.plan.stages.length - 1];
    for (let step = run.next(); step; step = run.next()) {
      const h = natsHeaders();
      for (const [k, v] of Object.entries(step.headers)) h.set(k, v);
      const answersClient = ownStages && step.stage === lastStage;
      if (answersClient) h.set(Header.Accept, req.accept ?? MediaType.Json);
      const stage = step.stage.index;
      const route = this.caller.route(record, stage);
      const body = encodeTensorsMsgpack(step.feeds, undefined, [...step.stage.returns]);
      const reply = await this.caller.send(route, body, h, deadline).catch((e) => {
        if (natsFailure.isNoResponders(e)) throw EparaError.noCapacity(`no worker answered for stage ${stage} of "${record.name}"`);
        throw e;
      });
      const err = replyError(reply.msg);
      if (err) throw err;
      const served = {
        device: reply.msg.headers?.get(Header.Device) ?? route.device ?? '?',
        execMs: Number(reply.msg.headers?.get(Header.ExecMs) ?? 0),
        queueMs: Number(reply.msg.headers?.get(Header.QueueMs) ?? 0),
      };
      if (answersClient) {
        run.stageDone([], served);
        return {
          body: reply.body,
          contentType: reply.msg.headers?.get(Header.ContentType) || MediaType.Json,
          headers: run.reply().headers,
        };
      }
      run.stageDone(decodeResultTensors(reply.body, MediaType.Msgpack), served);
    }
    const { outputs, headers } = run.reply();
    const { body, contentType } = encodeResult(
      { type: 'tensors', outputs },
      { modelName: record.name, id: invocation.type === 'tensors' ? invocation.id : undefined },
      req.accept ?? req.contentType,
    );
    return { body, contentType, headers };
  }

  /** The chain's first tensors: the request's, or for `ocr` its image bytes as one UINT8 tensor. */
  private inputsOf(record: FunctionRecord, invocation: Invocation): Tensor[] {
    if (record.kind === FunctionKind.Ocr) {
      const bytes = imageBytesOf(invocation);
      return [{ name: OcrTensor.Image, datatype: Datatype.Uint8, shape: [bytes.byteLength], data: bytes }];
    }
    if (invocation.type !== 'tensors')
      throw EparaError.badInput(`function "${record.name}" takes tensors (JSON or msgpack), not ${invocation.mediaType}`);
    return invocation.inputs;
  }
}

const outputNamesOf = (invocation: Invocation) => (invocation.type === 'tensors' ? invocation.outputNames : undefined);
