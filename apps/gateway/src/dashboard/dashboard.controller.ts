import { Controller, Get, Header } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { OpenRoute } from '@epara/nats';
import { DASHBOARD_HTML } from './dashboard.html';

/**
 * A small operator page: devices, functions with their category and reason, and the placement. The page
 * itself is open; it asks for a key with scope `read` and sends it with the fetches of its data.
 */
@ApiExcludeController()
@Controller()
export class DashboardController {
  @Get(['', 'dashboard'])
  @OpenRoute()
  @Header('Content-Type', 'text/html; charset=utf-8')
  page(): string {
    return DASHBOARD_HTML;
  }
}
