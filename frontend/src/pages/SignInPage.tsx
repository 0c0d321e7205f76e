import { useState, type FormEvent } from 'react';
import { Link, Navigate, useNavigate, useSearchParams } from 'react-router';
import { useAuth } from '../auth/AuthContext';
import { useSignIn } from '../hooks/api';
import { splitProblem, toProblem } from '../api/problem';
import { ErrorBanner, TextField } from '../components/ui';

/** Only same-app paths are followed after signing in. */
export function safeNext(next: string | null): string {
  return next && next.startsWith('/') && !next.startsWith('//') ? next : '/';
}

export function SignInPage() {
  const { token, signIn } = useAuth();
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const mutation = useSignIn();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const next = safeNext(params.get('next'));

  if (token && !mutation.isSuccess) return <Navigate to={next} replace />;

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    mutation.mutate(
      { email: email.trim(), password },
      {
        onSuccess: (session) => {
          signIn(session);
          navigate(next, { replace: true });
        },
      },
    );
  };
  const problem = mutation.error ? toProblem(mutation.error) : null;
  const { fields, banner } = splitProblem(problem, ['email', 'password']);

  return (
    <main id="main" className="page page-narrow" data-testid="page-signin">
      <h1>Sign in</h1>
      <form onSubmit={onSubmit} className="stack card" aria-label="Sign in">
        {banner ? <ErrorBanner message={problem?.status === 401 ? 'Wrong email or password.' : banner} /> : null}
        <TextField label="Email" name="email" type="email" autoComplete="email" required value={email} onChange={(e) => setEmail(e.target.value)} error={fields.email} />
        <TextField label="Password" name="password" type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} error={fields.password} />
        <button type="submit" className="btn btn-primary" disabled={mutation.isPending}>
          {mutation.isPending ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
      <p>
        New here? <Link to={`/register${next !== '/' ? `?next=${encodeURIComponent(next)}` : ''}`}>Create an account</Link>
      </p>
    </main>
  );
}
