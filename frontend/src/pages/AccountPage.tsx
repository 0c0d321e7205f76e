import { useEffect, useState, type FormEvent } from 'react';
import { useMe, useUpdateMe } from '../hooks/api';
import { splitProblem, toProblem } from '../api/problem';
import { ErrorBanner, InfoBanner, Skeleton, TextField } from '../components/ui';
import type { CountryCode, Profile } from '../api/types';

const ADDR = ['name', 'line1', 'line2', 'city', 'postal_code', 'country'] as const;
type Addr = Record<(typeof ADDR)[number], string>;
const ADDR_LABEL: Record<(typeof ADDR)[number], string> = {
  name: 'Recipient name',
  line1: 'Address line 1',
  line2: 'Address line 2 (optional)',
  city: 'City',
  postal_code: 'Postal code',
  country: 'Country code (e.g. US)',
};
const EMPTY: Addr = { name: '', line1: '', line2: '', city: '', postal_code: '', country: '' };

function fromProfile(p: Profile): Addr {
  const a = p.shipping_address;
  return a ? { name: a.name, line1: a.line1, line2: a.line2 ?? '', city: a.city, postal_code: a.postal_code, country: a.country } : EMPTY;
}

export function AccountPage() {
  const me = useMe();
  const update = useUpdateMe();
  const [name, setName] = useState('');
  const [addr, setAddr] = useState<Addr>(EMPTY);
  const [saved, setSaved] = useState(false);

  useEffect(() => {
    if (me.data) {
      setName(me.data.name);
      setAddr(fromProfile(me.data));
    }
  }, [me.data]);

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    setSaved(false);
    const hasAddress = ADDR.some((k) => addr[k].trim() !== '');
    update.mutate(
      {
        name: name.trim(),
        shipping_address: hasAddress
          ? {
              name: addr.name.trim(),
              line1: addr.line1.trim(),
              line2: addr.line2.trim() || null,
              city: addr.city.trim(),
              postal_code: addr.postal_code.trim(),
              // Typed free text: the service answers an unassigned code with a 400 naming the field.
              country: addr.country.trim().toUpperCase() as CountryCode,
            }
          : null,
      },
      { onSuccess: () => setSaved(true) },
    );
  };

  const problem = update.error ? toProblem(update.error) : null;
  const { fields, banner } = splitProblem(problem, ['name', ...ADDR.map((k) => `shipping_address.${k}`)]);

  return (
    <main id="main" className="page page-narrow" data-testid="page-account">
      <h1>Your account</h1>
      {me.isPending ? (
        <Skeleton lines={6} label="Loading your profile…" />
      ) : me.isError ? (
        <ErrorBanner problem={toProblem(me.error)} onRetry={() => void me.refetch()} />
      ) : (
        <form onSubmit={onSubmit} className="stack card" aria-label="Profile">
          <p>
            Signed in as <strong data-testid="account-email">{me.data.email}</strong> ({me.data.role})
          </p>
          {banner ? <ErrorBanner message={banner} problem={problem} /> : null}
          {saved ? <InfoBanner>Saved.</InfoBanner> : null}
          <TextField label="Name" name="name" autoComplete="name" maxLength={100} value={name} onChange={(e) => setName(e.target.value)} error={fields.name} />
          <fieldset>
            <legend>Default shipping address</legend>
            {ADDR.map((k) => (
              <TextField
                key={k}
                label={ADDR_LABEL[k]}
                name={`shipping_address.${k}`}
                value={addr[k]}
                maxLength={k === 'country' ? 2 : undefined}
                onChange={(e) => setAddr((a) => ({ ...a, [k]: e.target.value }))}
                error={fields[`shipping_address.${k}`]}
              />
            ))}
            <small className="hint">Leave every address field empty to remove the saved address.</small>
          </fieldset>
          <button type="submit" className="btn btn-primary" disabled={update.isPending}>
            {update.isPending ? 'Saving…' : 'Save'}
          </button>
        </form>
      )}
    </main>
  );
}
