import { Controller, Get, Header } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { DASHBOARD_HTML } from './dashboard.html';

/** A small operator page: devices, functions with their category and reason, and the placement. */
@ApiExcludeController()
@Controller()
export class DashboardController {
  @Get(['', 'dashboard'])
  @Header('Content-Type', 'text/html; charset=utf-8')
  page(): string {
    return DASHBOARD_HTML;
  }
}
