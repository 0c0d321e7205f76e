import { render } from '@testing-library/react';
import { MemoryRouter, Route, Routes, useLocation } from 'react-router';
import type { ReactElement } from 'react';
import { Providers } from '../Providers';
import { makeQueryClient } from '../lib/queryClient';
import { AppRoutes } from '../App';
import { tokenStore } from '../api/client';
import { db } from '../mocks/db';

export function LocationProbe() {
  const loc = useLocation();
  return <output data-testid="location">{loc.pathname + loc.search}</output>;
}

/** Signs in as a seeded mock user (as the app would after POST /sessions). */
export function signInAs(email: 'ada@example.com' | 'admin@wasmart.local' = 'ada@example.com') {
  const u = db.users.find((x) => x.profile.email === email)!;
  tokenStore.set(`mock.${u.profile.id}`);
  const { id, name, role, created_at } = u.profile;
  localStorage.setItem('wasmart.user', JSON.stringify({ id, email, name, role, created_at }));
  return u;
}

export function renderApp(path = '/') {
  const client = makeQueryClient();
  client.setDefaultOptions({ queries: { ...client.getDefaultOptions().queries, retry: false } });
  const utils = render(
    <Providers client={client}>
      <MemoryRouter initialEntries={[path]}>
        <AppRoutes />
        <LocationProbe />
      </MemoryRouter>
    </Providers>,
  );
  return { ...utils, client };
}

export function renderWithProviders(ui: ReactElement, { path = '/', route = '*' }: { path?: string; route?: string } = {}) {
  const client = makeQueryClient();
  client.setDefaultOptions({ queries: { ...client.getDefaultOptions().queries, retry: false } });
  const utils = render(
    <Providers client={client}>
      <MemoryRouter initialEntries={[path]}>
        <Routes>
          <Route path={route} element={ui} />
        </Routes>
        <LocationProbe />
      </MemoryRouter>
    </Providers>,
  );
  return { ...utils, client };
}
