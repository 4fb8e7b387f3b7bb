// The console's shell: sign-in, the navigation (also by keyboard: o e d r p s c,
// and / to search events), and the page for the current path.
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { resume, signIn, signOut, whenSignedOut } from './api';
import { errorText } from './common';
import { EventPage, EventsPage } from './events';
import { ConfigPage, DeadLettersPage, OverviewPage, RoutesPage, ScansPage } from './pages';
import { PlaygroundPage } from './playground';
import { BASE, installLinkHandler, navigate, useLocation } from './router';
import './style.css';

const NAV: Array<{ path: string; label: string; key: string }> = [
  { path: '', label: 'Overview', key: 'o' },
  { path: 'events', label: 'Events', key: 'e' },
  { path: 'dead-letters', label: 'Dead letters', key: 'd' },
  { path: 'routes', label: 'Routes', key: 'r' },
  { path: 'playground', label: 'Playground', key: 'p' },
  { path: 'scans', label: 'Scans', key: 's' },
  { path: 'config', label: 'Config', key: 'c' },
];

function SignIn({ onDone }: { onDone(): void }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string>();
  const submit = async (e: Event) => {
    e.preventDefault();
    try { await signIn(token); setToken(''); onDone(); } catch (x) { setError(errorText(x)); }
  };
  return (
    <main class="signin">
      <form onSubmit={submit} aria-label="sign in">
        <h1>Hooker console</h1>
        <label for="token">Admin token (HOOKER_ADMIN_TOKEN)</label>
        <input id="token" name="token" type="password" autocomplete="current-password" autofocus value={token} onInput={(e) => setToken((e.target as HTMLInputElement).value)} />
        <button type="submit">Sign in</button>
        {error && <p class="error" role="alert">{error}</p>}
      </form>
    </main>
  );
}

function Page() {
  const loc = useLocation();
  const [m, id] = loc.path.split('/');
  switch (m) {
    case '': return <OverviewPage />;
    case 'events': return id ? <EventPage id={decodeURIComponent(id)} /> : <EventsPage loc={loc} />;
    case 'dead-letters': return <DeadLettersPage />;
    case 'routes': return <RoutesPage />;
    case 'playground': return <PlaygroundPage loc={loc} />;
    case 'scans': return <ScansPage />;
    case 'config': return <ConfigPage />;
    default: return <p>No such page. <a href={BASE}>Overview</a></p>;
  }
}

function App() {
  const [signed, setSigned] = useState<boolean | undefined>();
  const loc = useLocation();
  useEffect(() => { void resume().then(setSigned); whenSignedOut(() => setSigned(false)); }, []);
  useEffect(() => {
    const on = (e: KeyboardEvent) => {
      const t = e.target as HTMLElement;
      if (e.ctrlKey || e.metaKey || e.altKey || t.closest('input, textarea, select')) return;
      const n = NAV.find((x) => x.key === e.key);
      if (n) { e.preventDefault(); navigate(n.path); }
    };
    addEventListener('keydown', on);
    return () => removeEventListener('keydown', on);
  }, []);
  if (signed === undefined) return <p class="muted">Loading…</p>;
  if (!signed) return <SignIn onDone={() => setSigned(true)} />;
  const section = loc.path.split('/')[0];
  return (
    <>
      <header class="top">
        <a class="brand" href={BASE}>Hooker</a>
        <nav aria-label="pages">
          {NAV.map((n) => <a href={BASE + n.path} aria-current={section === n.path ? 'page' : undefined} title={`${n.label} (${n.key})`}>{n.label}</a>)}
        </nav>
        <button class="signout" onClick={async () => { await signOut().catch(() => {}); setSigned(false); }}>Sign out</button>
      </header>
      <main><Page /></main>
    </>
  );
}

installLinkHandler();
render(<App />, document.getElementById('app')!);
