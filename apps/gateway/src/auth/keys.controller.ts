import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBody, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiKeyView, CreateApiKeyDto, createApiKeyRequest, CreatedApiKey, Scope, validateDto } from '@epara/contracts';
import { NeedsScope } from '@epara/nats';
import { ApiErrors, messageOf } from '../openapi/api-errors';
import { CREATE_KEY_EXAMPLE, CREATED_KEY_EXAMPLE, KEY_LIST_EXAMPLE } from '../openapi/examples';
import { ApiKeyStore } from './api-key-store.service';

@ApiTags('keys')
@Controller('v1/keys')
@NeedsScope(Scope.Admin)
export class KeysController {
  constructor(private readonly keys: ApiKeyStore) {}

  @Post()
  @ApiOperation({ summary: 'Create an API key; the answer holds the key itself, shown this once (only its SHA-256 is stored)' })
  @ApiBody({ type: CreateApiKeyDto, examples: { fleet: { summary: 'invoke cam-* functions for 90 days', value: CREATE_KEY_EXAMPLE } } })
  @ApiCreatedResponse({ description: 'the key, in `key`: store it now, it is not shown again', example: CREATED_KEY_EXAMPLE })
  @ApiErrors({
    400: messageOf(() => validateDto(CreateApiKeyDto, { name: 'ops', scopes: ['write'] }, 'body')),
    409: 'could not find a free key id in 5 attempts; retry',
  })
  create(@Body() body: CreateApiKeyDto): Promise<CreatedApiKey> {
    return this.keys.create(createApiKeyRequest(body));
  }

  @Get()
  @ApiOperation({ summary: 'List API keys: id, name, scopes, times; never a key or its hash' })
  @ApiOkResponse({ example: KEY_LIST_EXAMPLE })
  list(): { keys: ApiKeyView[] } {
    return { keys: this.keys.list() };
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Revoke an API key: every gateway refuses it from then on' })
  @ApiErrors({
    400: '"0A1B" is not an API key id (8 hex characters, as GET /v1/keys lists them)',
    404: 'no API key with id 0a1b2c3d',
  })
  revoke(@Param('id') id: string): Promise<void> {
    return this.keys.revoke(id);
  }
}
