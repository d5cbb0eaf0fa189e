import { Header } from '@epara/contracts';

/**
 * The admin key test clusters start their gateways with (EPARA_ADMIN_KEY). A constant, not a secret:
 * it opens only the private gateways tests start on free ports.
 */
export const TEST_ADMIN_KEY = 'epara-e2e-admin-key-for-test-gateways-only';

/** `Authorization: Bearer <key>`, the admin test key unless told otherwise. */
export function authHeader(key = TEST_ADMIN_KEY): Record<string, string> {
  return { [Header.Authorization]: `Bearer ${key}` };
}
