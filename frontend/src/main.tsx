import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter } from 'react-router';
import { AppRoutes } from './App';
import { Providers } from './Providers';
import { makeQueryClient } from './lib/queryClient';
import './styles.css';

async function start() {
  if (import.meta.env.MODE === 'mock') {
    // `npm run dev:mock`: every /api/v1 request is answered by MSW in the browser.
    const { startMockWorker } = await import('./mocks/browser');
    await startMockWorker();
  }
  const root = document.getElementById('root');
  if (!root) throw new Error('#root missing');
  createRoot(root).render(
    <StrictMode>
      <Providers client={makeQueryClient()}>
        <BrowserRouter>
          <AppRoutes />
        </BrowserRouter>
      </Providers>
    </StrictMode>,
  );
}

void start();
