// Service-to-service authentication, as service-kit's internal_auth: every caller presents
// the internal key in `x-wasmart-internal-key`.

import { timingSafeEqual } from 'node:crypto';

export const INTERNAL_KEY_HEADER = 'x-wasmart-internal-key';

/** Whether `presented` is `expected` (a non-empty key), in time independent of where they differ. */
export function keysMatch(presented, expected) {
  const a = Buffer.from(presented ?? '');
  const b = Buffer.from(expected);
  return b.length > 0 && a.length === b.length && timingSafeEqual(a, b);
}
