import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiKeyView, CreatedApiKey, parseCreateApiKeyRequest, Scope } from '@epara/contracts';
import { NeedsScope } from '@epara/nats';
import { ApiKeyStore } from './api-key-store.service';

@ApiTags('keys')
@Controller('v1/keys')
@NeedsScope(Scope.Admin)
export class KeysController {
  constructor(private readonly keys: ApiKeyStore) {}

  @Post()
  @ApiOperation({ summary: 'Create an API key; the answer holds the key itself, shown this once (only its SHA-256 is stored)' })
  @ApiBody({
    schema: {
      type: 'object',
      required: ['name', 'scopes'],
      properties: {
        name: { type: 'string', example: 'camera-fleet' },
        scopes: {
          type: 'array',
          items: { type: 'string' },
          example: ['invoke:cam-*'],
          description: 'admin, read, invoke, invoke:<pattern>',
        },
        ttl: {
          oneOf: [
            { type: 'string', example: '90d' },
            { type: 'integer', description: 'seconds' },
          ],
        },
      },
    },
  })
  create(@Body() body: unknown): Promise<CreatedApiKey> {
    return this.keys.create(parseCreateApiKeyRequest(body));
  }

  @Get()
  @ApiOperation({ summary: 'List API keys: id, name, scopes, times; never a key or its hash' })
  list(): { keys: ApiKeyView[] } {
    return { keys: this.keys.list() };
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Revoke an API key: every gateway refuses it from then on' })
  revoke(@Param('id') id: string): Promise<void> {
    return this.keys.revoke(id);
  }
}
