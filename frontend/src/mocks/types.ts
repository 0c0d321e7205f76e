// Request and response bodies for the MSW handlers, all taken from the generated OpenAPI schema.
export type * from '../api/types';
import type { components } from '../api/schema';
export type QuantityChangeBody = components['schemas']['QuantityChange'];
