import { setupWorker } from 'msw/browser';
import { browserHandlers } from './handlers';
import { resetDb, restoreDb, snapshotDb } from './db';

const KEY = 'wasmart.mockdb';

export async function startMockWorker() {
  // The mock shop survives reloads of the tab (sessionStorage); `?reset-mocks` starts it afresh.
  const saved = sessionStorage.getItem(KEY);
  if (saved && !location.search.includes('reset-mocks')) {
    try {
      restoreDb(saved);
    } catch {
      resetDb();
    }
  }
  const worker = setupWorker(...browserHandlers);
  worker.events.on('response:mocked', () => sessionStorage.setItem(KEY, snapshotDb()));
  await worker.start({ onUnhandledRequest: 'bypass', quiet: true });
  console.info('[wasmart] API mocked by MSW. Sign in as ada@example.com / correct-horse or admin@wasmart.local / admin-password.');
}
