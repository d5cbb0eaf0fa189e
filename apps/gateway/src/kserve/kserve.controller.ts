import { Controller, Get, HttpException, Param, Post, Req, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { EPARA_VERSION, Scope } from '@epara/contracts';
import { NatsClient, NeedsScope, OpenRoute } from '@epara/nats';
import { FunctionRegistry } from '../functions/function-registry.service';
import { ClusterView } from '../cluster/cluster-view.service';
import { InvokeService } from '../invoke/invoke.service';
import { invokeRequestFrom, sendReply } from '../invoke/http-invoke';

const VERSION = EPARA_VERSION;

/** Open Inference Protocol (KServe v2) routes, so Triton/KServe clients can call Epara functions. */
@ApiTags('open-inference-protocol')
@Controller('v2')
export class KserveController {
  constructor(
    private readonly registry: FunctionRegistry,
    private readonly cluster: ClusterView,
    private readonly invoker: InvokeService,
    private readonly nats: NatsClient,
  ) {}

  @Get()
  @NeedsScope(Scope.Read)
  server() {
    return { name: 'epara', version: VERSION, extensions: ['epara-async', 'epara-categories'] };
  }

  @Get('health/live')
  @OpenRoute()
  live() {
    return { live: true };
  }

  /** Ready when NATS and JetStream answer and the function registry is loaded (as `/health/ready`). */
  @Get('health/ready')
  @OpenRoute()
  async ready() {
    const link = await this.nats.health.probe();
    const reason = link.up ? this.registry.notLoaded() : link.reason;
    if (reason) throw new HttpException({ ready: false, reason }, 503);
    return { ready: true };
  }

  @Get('models/:name')
  @NeedsScope(Scope.Read)
  model(@Param('name') name: string) {
    const r = this.registry.get(name);
    const dims = (shape: (number | string)[]) => shape.map((d) => (typeof d === 'number' ? d : -1));
    return {
      name: r.name,
      versions: ['1'],
      platform: 'onnxruntime_onnx',
      inputs: r.model.inputs.map((t) => ({ name: t.name, datatype: t.datatype, shape: dims(t.shape) })),
      outputs: r.model.outputs.map((t) => ({ name: t.name, datatype: t.datatype, shape: dims(t.shape) })),
      parameters: { kind: r.kind, mode: r.category.mode, category: `${r.category.sensitivity} × ${r.category.footprint}` },
    };
  }

  /** Ready when at least one replica has the model loaded and reports it ready. */
  @Get('models/:name/ready')
  @NeedsScope(Scope.Read)
  modelReady(@Param('name') name: string) {
    if (!this.cluster.isReady(this.registry.get(name))) throw new HttpException({ name, ready: false }, 503);
    return { name, ready: true };
  }

  @Post('models/:name/infer')
  @NeedsScope(Scope.Invoke)
  async infer(@Param('name') name: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    sendReply(res, await this.invoker.invoke(name, invokeRequestFrom(req), 'http'));
  }
}
