import { useState, type FormEvent } from 'react';
import { Link, Navigate, useNavigate, useSearchParams } from 'react-router';
import { useAuth } from '../auth/AuthContext';
import { useRegister, useSignIn } from '../hooks/api';
import { splitProblem, toProblem, problemSlug } from '../api/problem';
import { ErrorBanner, TextField } from '../components/ui';
import { safeNext } from './SignInPage';

export function RegisterPage() {
  const { token, signIn } = useAuth();
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const register = useRegister();
  const login = useSignIn();
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [localErrors, setLocalErrors] = useState<Record<string, string>>({});
  const next = safeNext(params.get('next'));

  if (token && !register.isSuccess) return <Navigate to={next} replace />;

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    const errors: Record<string, string> = {};
    if (!name.trim()) errors.name = 'Required';
    if (!email.trim()) errors.email = 'Required';
    if (password.length < 10) errors.password = 'At least 10 characters';
    setLocalErrors(errors);
    if (Object.keys(errors).length) return;
    register.mutate(
      { name: name.trim(), email: email.trim(), password },
      {
        // Registered: sign straight in.
        onSuccess: () =>
          login.mutate(
            { email: email.trim(), password },
            {
              onSuccess: (session) => {
                signIn(session);
                navigate(next, { replace: true });
              },
            },
          ),
      },
    );
  };
  const problem = register.error ? toProblem(register.error) : login.error ? toProblem(login.error) : null;
  const split = splitProblem(problem, ['name', 'email', 'password']);
  const fields = { ...split.fields };
  let banner = split.banner;
  if (problem && problemSlug(problem) === 'email-taken') {
    fields.email = 'An account with this email already exists.';
    banner = null;
  }
  const err = (f: string) => localErrors[f] ?? fields[f];
  const busy = register.isPending || login.isPending;

  return (
    <main id="main" className="page page-narrow" data-testid="page-register">
      <h1>Create an account</h1>
      <form onSubmit={onSubmit} noValidate className="stack card" aria-label="Register">
        {banner ? <ErrorBanner message={banner} problem={problem} /> : null}
        <TextField label="Name" name="name" autoComplete="name" required maxLength={100} value={name} onChange={(e) => setName(e.target.value)} error={err('name')} />
        <TextField label="Email" name="email" type="email" autoComplete="email" required maxLength={254} value={email} onChange={(e) => setEmail(e.target.value)} error={err('email')} />
        <TextField
          label="Password"
          name="password"
          type="password"
          autoComplete="new-password"
          required
          minLength={10}
          maxLength={128}
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          error={err('password')}
          hint="At least 10 characters."
        />
        <button type="submit" className="btn btn-primary" disabled={busy}>
          {busy ? 'Creating your account…' : 'Create account'}
        </button>
      </form>
      <p>
        Already have an account? <Link to="/signin">Sign in</Link>
      </p>
    </main>
  );
}
