import { Controller, UseFilters } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { Msg } from '@nats-io/transport-node';
import { GATEWAY_QUEUE, subjects } from '@epara/contracts';
import { RpcPassthroughFilter } from '@epara/nats';
import { InvokeService } from './invoke.service';

/** NATS ingress for producers: `epara.v1.invoke.<fn>`, answered by one gateway of the queue group. */
@Controller()
@UseFilters(RpcPassthroughFilter)
export class InvokeNatsController {
  constructor(private readonly invoker: InvokeService) {}

  @MessagePattern(subjects.invokeAny, { queue: GATEWAY_QUEUE })
  invoke(@Payload() msg: Msg): void {
    this.invoker.handleNats(msg);
  }
}
