import { setupWorker } from 'msw/browser';
import { browserHandlers } from './handlers';

export async function startMockWorker() {
  const worker = setupWorker(...browserHandlers);
  await worker.start({ onUnhandledRequest: 'bypass', quiet: false });
  console.info('[wasmart] API mocked by MSW. Sign in as ada@example.com / correct-horse or admin@wasmart.local / admin-password.');
}
