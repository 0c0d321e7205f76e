import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { onUnauthorized, tokenStore } from '../api/client';
import type { Account, Session } from '../api/types';

const USER_KEY = 'wasmart.user';

interface AuthState {
  token: string | null;
  user: Account | null;
  isAdmin: boolean;
  signIn: (session: Session) => void;
  signOut: () => void;
}

const AuthContext = createContext<AuthState | null>(null);

function readUser(): Account | null {
  try {
    const raw = localStorage.getItem(USER_KEY);
    return raw ? (JSON.parse(raw) as Account) : null;
  } catch {
    return null;
  }
}

function writeUser(user: Account | null) {
  try {
    if (user) localStorage.setItem(USER_KEY, JSON.stringify(user));
    else localStorage.removeItem(USER_KEY);
  } catch {
    /* ignore */
  }
}

export function AuthProvider({ children }: { children: ReactNode }) {
  const queryClient = useQueryClient();
  const [token, setToken] = useState<string | null>(() => tokenStore.get());
  const [user, setUser] = useState<Account | null>(() => (tokenStore.get() ? readUser() : null));

  const clear = useCallback(() => {
    tokenStore.set(null);
    writeUser(null);
    setToken(null);
    setUser(null);
    // Drop everything that belonged to the caller.
    queryClient.removeQueries({ predicate: (q) => q.queryKey[0] !== 'public' });
  }, [queryClient]);

  const signIn = useCallback(
    (session: Session) => {
      queryClient.removeQueries({ predicate: (q) => q.queryKey[0] !== 'public' });
      tokenStore.set(session.token);
      writeUser(session.user);
      setToken(session.token);
      setUser(session.user);
    },
    [queryClient],
  );

  // A 401 from the API signs the user out.
  useEffect(() => onUnauthorized(clear), [clear]);

  // Another tab signing in or out.
  useEffect(() => {
    const onStorage = (e: StorageEvent) => {
      if (e.key === 'wasmart.token' || e.key === null) {
        setToken(tokenStore.get());
        setUser(tokenStore.get() ? readUser() : null);
      }
    };
    window.addEventListener('storage', onStorage);
    return () => window.removeEventListener('storage', onStorage);
  }, []);

  const value = useMemo<AuthState>(
    () => ({ token, user, isAdmin: user?.role === 'admin', signIn, signOut: clear }),
    [token, user, signIn, clear],
  );
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthState {
  const ctx = useContext(AuthContext);
  if (!ctx) throw new Error('useAuth outside AuthProvider');
  return ctx;
}
