/** Sign-in: factory (from the server's list), e-mail, password; says clearly why it is shown. */
import { Button, Callout, FormGroup, HTMLSelect, InputGroup } from '@blueprintjs/core';
import { useEffect, useState, type FormEvent } from 'react';
import { authApi } from '../api/auth-api';
import { ApiFailure, describeFailure } from '../api/http';
import { transport } from '../api/transport';
import type { Factory } from '../api/types';
import { signIn, useSession } from '../stores/session-store';

const LAST_FACTORY_KEY = 'factoryops.lastFactory';

export function SignInPage() {
  const notice = useSession((s) => s.notice);
  const [factories, setFactories] = useState<Factory[] | null>(null);
  const [factoriesError, setFactoriesError] = useState<string | null>(null);
  const [factory, setFactory] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    let cancelled = false;
    setFactoriesError(null);
    authApi
      .factories()
      .then((list) => {
        if (cancelled) return;
        setFactories(list);
        const remembered = safeGet(LAST_FACTORY_KEY);
        const pick = list.find((f) => f.slug === remembered) ?? list[0];
        if (pick) setFactory((current) => current || pick.slug);
      })
      .catch((e: unknown) => {
        if (cancelled) return;
        setFactoriesError(describeFailure(e));
        // The server may be restarting: try again shortly without a click.
        setTimeout(() => !cancelled && setAttempt((n) => n + 1), 5000);
      });
    return () => {
      cancelled = true;
    };
  }, [attempt]);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      safeSet(LAST_FACTORY_KEY, factory);
      await signIn(factory, email.trim(), password);
    } catch (e) {
      setPassword('');
      if (e instanceof ApiFailure && e.code === 'INVALID_CREDENTIALS') setError('E-mail or password is not right for this factory.');
      else if (e instanceof ApiFailure && e.code === 'TOO_MANY_REQUESTS') setError('Too many failed sign-ins. Wait a few minutes and try again.');
      else setError(describeFailure(e));
    } finally {
      setBusy(false);
    }
  }

  const unreachable = factoriesError !== null;
  return (
    <div className="fo-signin">
      <form className="fo-signin-card" onSubmit={submit} aria-label="Sign in">
        <h1>FactoryOps</h1>
        <div className="fo-muted" style={{ marginBottom: 16 }}>
          Control room · {transport().serverLabel}
        </div>
        {notice && (
          <Callout intent="warning" compact style={{ marginBottom: 12 }} data-testid="signin-notice">
            {notice}
          </Callout>
        )}
        {unreachable && (
          <Callout intent="danger" compact style={{ marginBottom: 12 }} data-testid="signin-unreachable">
            {factoriesError} Retrying…
          </Callout>
        )}
        <FormGroup label="Factory" labelFor="fo-factory">
          <HTMLSelect id="fo-factory" fill value={factory} onChange={(e) => setFactory(e.currentTarget.value)} disabled={!factories || factories.length === 0}>
            {(factories ?? []).map((f) => (
              <option key={f.slug} value={f.slug}>
                {f.name} ({f.slug})
              </option>
            ))}
          </HTMLSelect>
        </FormGroup>
        <FormGroup label="E-mail" labelFor="fo-email">
          <InputGroup id="fo-email" type="email" autoComplete="username" value={email} onValueChange={setEmail} autoFocus required />
        </FormGroup>
        <FormGroup label="Password" labelFor="fo-password">
          <InputGroup id="fo-password" type="password" autoComplete="current-password" value={password} onValueChange={setPassword} required />
        </FormGroup>
        {error && (
          <Callout intent="danger" compact style={{ marginBottom: 12 }} data-testid="signin-error">
            {error}
          </Callout>
        )}
        <Button type="submit" intent="primary" fill loading={busy} disabled={!factory || unreachable} text="Sign in" />
      </form>
    </div>
  );
}

function safeGet(key: string): string | null {
  try {
    return window.localStorage.getItem(key);
  } catch {
    return null;
  }
}

function safeSet(key: string, value: string): void {
  try {
    window.localStorage.setItem(key, value);
  } catch {
    // storage disabled
  }
}
