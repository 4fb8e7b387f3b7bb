// Overview, dead letters, routes, scans and config.
import { useEffect, useRef, useState } from 'preact/hooks';
import { get, post, query } from './api';
import { ErrorBox, fmtTime, Json, More, Section, State, errorText, useLoad, usePaged } from './common';
import { BASE } from './router';

interface Overview {
  at: number;
  events: { received: number; matched: number; unmatched: number; rejected: number };
  deliveries: Array<{ action: string; outcome: string; count: number }>;
  evaluation: { seconds: number; count: number };
  states: Record<string, number> | null;
  inbox: number; dead: number; routes: number;
}

const POINTS = 60;

function Spark({ values, label }: { values: number[]; label: string }) {
  const max = Math.max(1, ...values);
  const w = 240;
  const h = 48;
  // The newest sample at the right edge; a series shorter than the window starts part-way.
  const last = values.slice(-POINTS);
  const shown = last.length === 1 ? [last[0]!, last[0]!] : last;
  const offset = POINTS - shown.length;
  const pts = shown.map((v, i) => `${((offset + i) / (POINTS - 1)) * w},${h - (v / max) * (h - 4) - 2}`).join(' ');
  return (
    <svg class="spark" viewBox={`0 0 ${w} ${h}`} role="img" aria-label={label}>
      <polyline points={pts} fill="none" stroke="currentColor" stroke-width="2" />
    </svg>
  );
}

/** Live numbers from the same counters as /metrics, sampled every 2 s; rates are differences between samples. */
export function OverviewPage() {
  const [samples, setSamples] = useState<Overview[]>([]);
  const [error, setError] = useState<string>();
  useEffect(() => {
    let live = true;
    const tick = () => get<Overview>('overview').then((o) => { if (live) { setSamples((s) => [...s.slice(-(POINTS)), o]); setError(undefined); } }, (e) => live && setError(errorText(e)));
    tick();
    const t = setInterval(tick, 2000);
    return () => { live = false; clearInterval(t); };
  }, []);
  const last = samples.at(-1);
  const rate = (f: (o: Overview) => number) => {
    const out: number[] = [];
    for (let i = 1; i < samples.length; i++) {
      const dt = (samples[i]!.at - samples[i - 1]!.at) / 1000 || 1;
      out.push(Math.max(0, (f(samples[i]!) - f(samples[i - 1]!)) / dt));
    }
    while (out.length < POINTS) out.unshift(0);
    return out.slice(-POINTS);
  };
  const evalMs = (o: Overview) => (o.evaluation.count ? (o.evaluation.seconds / o.evaluation.count) * 1000 : 0);
  const byAction = new Map<string, Record<string, number>>();
  for (const d of last?.deliveries ?? []) {
    const m = byAction.get(d.action) ?? {};
    m[d.outcome] = d.count;
    byAction.set(d.action, m);
  }
  const evs = rate((o) => o.events.received);
  return (
    <div>
      <h1>Overview</h1>
      <ErrorBox error={error} />
      {last && <>
        <div class="tiles">
          <div class="tile"><h2>Events/s</h2><strong>{evs.at(-1)!.toFixed(1)}</strong><Spark values={evs} label="events per second" /></div>
          <div class="tile"><h2>Matched / unmatched</h2><strong>{last.events.matched} / {last.events.unmatched}</strong>
            <Spark values={rate((o) => o.events.matched)} label="matched per second" /></div>
          <div class="tile"><h2>Inbox</h2><strong>{last.inbox}</strong><Spark values={samples.map((o) => o.inbox).slice(-POINTS)} label="inbox size" /></div>
          <div class="tile"><h2>Dead letters</h2><strong><a href={`${BASE}dead-letters`}>{last.dead}</a></strong><Spark values={samples.map((o) => o.dead).slice(-POINTS)} label="dead letters" /></div>
          <div class="tile"><h2>Evaluation (mean)</h2><strong>{evalMs(last).toFixed(2)} ms</strong><Spark values={samples.map(evalMs).slice(-POINTS)} label="mean evaluation time" /></div>
          <div class="tile"><h2>Routes</h2><strong><a href={`${BASE}routes`}>{last.routes}</a></strong><p class="muted">{last.events.rejected} requests refused</p></div>
        </div>
        <Section title="Deliveries by state">
          <p>{Object.entries(last.states ?? {}).map(([s, n]) => <span class="chip"><State state={s} /> {n}</span>)}</p>
        </Section>
        <Section title="Delivery attempts by action">
          <table class="list"><thead><tr><th>Action</th><th>Success</th><th>Retry</th><th>Dead</th></tr></thead>
            <tbody>{[...byAction].map(([a, m]) => <tr><td>{a}</td><td>{m['success'] ?? 0}</td><td>{m['retry'] ?? 0}</td><td>{m['dead'] ?? 0}</td></tr>)}</tbody></table>
        </Section>
      </>}
    </div>
  );
}

interface Group { route: string; action: string; count: number; lastAt: number; lastError?: string }
interface Dead { id: string; eventId: string; route: string; action: string; attempts: number; createdAt: number; lastError?: string }

export function DeadLettersPage() {
  const groups = useLoad<{ groups: Group[] }>(() => get('dead-letters/groups'), []);
  const [open, setOpen] = useState<Group | undefined>();
  const [note, setNote] = useState<string>();
  const act = async (what: () => Promise<string>) => {
    try { setNote(await what()); } catch (e) { setNote(errorText(e)); }
    groups.reload();
  };
  const replayGroup = (g: Group) => act(async () => `Replayed ${(await post<{ retried: number }>('dead-letters/replay', { route: g.route, action: g.action })).retried} dead letters of ${g.route} → ${g.action}.`);
  const replayRoute = (route: string) => act(async () => `Replayed ${(await post<{ retried: number }>('dead-letters/replay', { route })).retried} dead letters of route ${route}.`);
  const purge = (route?: string) => {
    if (!confirm(route ? `Delete the finished events of route ${route} that have dead letters? This cannot be undone.` : 'Delete every finished event that has a dead letter? This cannot be undone.')) return;
    void act(async () => `Purged ${(await post<{ purgedEvents: number }>('dead-letters/purge', { confirm: true, ...(route ? { route } : {}) })).purgedEvents} events.`);
  };
  return (
    <div>
      <h1>Dead letters</h1>
      {note && <p class="note" role="status">{note}</p>}
      <ErrorBox error={groups.error} />
      <table class="list" aria-label="dead letter groups">
        <thead><tr><th>Route</th><th>Action</th><th>Dead</th><th>Last</th><th>Last error</th><th /></tr></thead>
        <tbody>
          {(groups.data?.groups ?? []).map((g) => (
            <tr>
              <td>{g.route}</td><td>{g.action}</td><td>{g.count}</td><td class="nowrap">{fmtTime(g.lastAt)}</td><td class="error-text">{g.lastError}</td>
              <td class="nowrap">
                <button onClick={() => setOpen(g)}>Show</button>
                <button onClick={() => replayGroup(g)}>Replay all</button>
                <button onClick={() => replayRoute(g.route)}>Replay route</button>
                <button class="danger" onClick={() => purge(g.route)}>Purge</button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {groups.data && groups.data.groups.length === 0 && <p class="muted">No dead letters.</p>}
      {groups.data && groups.data.groups.length > 0 && <p><button class="danger" onClick={() => purge()}>Purge all dead letters…</button></p>}
      {open && <DeadList group={open} onDone={(n) => { setNote(n); groups.reload(); }} />}
    </div>
  );
}

function DeadList({ group, onDone }: { group: Group; onDone(note: string): void }) {
  const list = usePaged<Dead>((cursor) => get(`dead-letters${query({ route: group.route, action: group.action, cursor, limit: 50 })}`), [group.route, group.action]);
  const [chosen, setChosen] = useState<Set<string>>(new Set());
  const toggle = (id: string) => setChosen((s) => { const n = new Set(s); if (n.has(id)) n.delete(id); else n.add(id); return n; });
  const replay = async () => {
    try {
      const r = await post<{ retried: number }>('dead-letters/replay', { ids: [...chosen] });
      onDone(`Replayed ${r.retried} selected dead letters.`);
      setChosen(new Set());
      list.reload();
    } catch (e) { onDone(errorText(e)); }
  };
  return (
    <Section title={`${group.route} → ${group.action}`} actions={<button disabled={chosen.size === 0} onClick={replay}>Replay selected ({chosen.size})</button>}>
      <ErrorBox error={list.error} />
      <table class="list"><thead><tr><th /><th>Created</th><th>Event</th><th>Attempts</th><th>Last error</th></tr></thead>
        <tbody>{list.items.map((d) => (
          <tr><td><input type="checkbox" aria-label={`select ${d.id}`} checked={chosen.has(d.id)} onChange={() => toggle(d.id)} /></td>
            <td class="nowrap">{fmtTime(d.createdAt)}</td><td><a href={`${BASE}events/${encodeURIComponent(d.eventId)}`}>{d.eventId.slice(0, 8)}</a></td>
            <td>{d.attempts}</td><td class="error-text">{d.lastError}</td></tr>
        ))}</tbody></table>
      <More next={list.next} loading={list.loading} more={list.more} />
    </Section>
  );
}

interface RouteInfo {
  name: string; input: string | null; inputFiles: Array<{ name: string; source: string | null }>; template: string | null; templateSource: string | null;
  actions: Array<{ name: string; enabled: boolean; type: string | null }>; plugins: Record<string, unknown>; serializeActions: boolean; counters: Record<string, number>;
}

export function RoutesPage() {
  const d = useLoad<{ routes: RouteInfo[] }>(() => get('routes'), []);
  return (
    <div>
      <h1>Routes</h1>
      <ErrorBox error={d.error} />
      {(d.data?.routes ?? []).map((r) => (
        <Section title={r.name} actions={<a href={`${BASE}playground?route=${encodeURIComponent(r.name)}`}>Try in the playground</a>}>
          <p>{Object.entries(r.counters).map(([s, n]) => <span class="chip"><State state={s} /> {n}</span>)}</p>
          <p>Actions: {r.actions.map((a) => <span class="chip">{a.name}{a.type ? ` (${a.type})` : ''}{a.enabled ? '' : ' · disabled'}</span>)}{r.serializeActions ? ' · serialized' : ''}</p>
          {Object.keys(r.plugins).length > 0 && <p>Plugins: <code>{JSON.stringify(r.plugins)}</code></p>}
          {r.input !== null && <><h3>input</h3><pre class="code">{r.input}</pre></>}
          {r.inputFiles.map((f) => <><h3>input-files: {f.name}</h3><pre class="code">{f.source ?? '(file not found)'}</pre></>)}
          {r.input === null && r.inputFiles.length === 0 && <p class="muted">No filter: every event matches.</p>}
          <h3>template {r.template ?? '(none)'}</h3>
          {r.templateSource && <pre class="code">{r.templateSource}</pre>}
        </Section>
      ))}
    </div>
  );
}

interface Scan { id: string; state: string; scanner: string; target: unknown; profile?: string; threshold?: string; createdAt: number; startedAt?: number; finishedAt?: number; error?: string; outcome?: { findings: number; threshold?: { name?: string; passed: boolean; compliance?: number; broken?: unknown } }; events: string[] }

export function ScansPage() {
  const [state, setState] = useState('');
  const list = usePaged<Scan>((cursor) => get(`scans${query({ state, cursor, limit: 50 })}`), [state]);
  return (
    <div>
      <h1>Scans</h1>
      <label>State <select value={state} onChange={(e) => setState((e.target as HTMLSelectElement).value)}>
        {['', 'queued', 'running', 'passed', 'failed', 'error'].map((s) => <option value={s}>{s || 'any'}</option>)}
      </select></label>
      <ErrorBox error={list.error} />
      <table class="list" aria-label="scans">
        <thead><tr><th>Created</th><th>State</th><th>Scanner</th><th>Target</th><th>Threshold</th><th>Findings</th><th>Events</th></tr></thead>
        <tbody>{list.items.map((s) => (
          <tr>
            <td class="nowrap">{fmtTime(s.createdAt)}</td><td><State state={s.state} /></td><td>{s.scanner}{s.profile ? ` · ${s.profile}` : ''}</td>
            <td><code>{JSON.stringify(s.target)}</code></td>
            <td>{s.outcome?.threshold ? <>{s.outcome.threshold.name}: {s.outcome.threshold.passed ? 'passed' : 'failed'}{s.outcome.threshold.compliance !== undefined ? ` (${s.outcome.threshold.compliance}%)` : ''}</> : (s.threshold ?? '—')}</td>
            <td>{s.outcome?.findings ?? (s.error ? <span class="error-text">{s.error}</span> : '—')}</td>
            <td>{s.events.map((id) => <a href={`${BASE}events/${encodeURIComponent(id)}`}>{id.slice(0, 8)} </a>)}</td>
          </tr>
        ))}</tbody>
      </table>
      {!list.loading && list.items.length === 0 && <p class="muted">No scans.</p>}
      <More next={list.next} loading={list.loading} more={list.more} />
    </div>
  );
}

interface ConfigInfo { file: string; loadedAt: number; sha256: string | null; config: unknown; lastReload: { at: number; ok: boolean; problems: string[] } | null }

export function ConfigPage() {
  const d = useLoad<ConfigInfo>(() => get('config'), []);
  const [note, setNote] = useState<string>();
  const busy = useRef(false);
  const reload = async () => {
    if (busy.current) return;
    busy.current = true;
    try {
      const r = await post<{ ok: boolean; routes: number; problems: string[] }>('reload');
      setNote(r.ok ? `Reloaded: ${r.routes} routes.${r.problems.length ? ` Warnings: ${r.problems.join('; ')}` : ''}` : `Reload rejected, the running configuration stays: ${r.problems.join('; ')}`);
    } catch (e) { setNote(errorText(e)); }
    busy.current = false;
    d.reload();
  };
  return (
    <div>
      <h1>Config</h1>
      {note && <p class="note" role="status">{note}</p>}
      <ErrorBox error={d.error} />
      {d.data && <>
        <p><code>{d.data.file}</code> · loaded {fmtTime(d.data.loadedAt)} · sha256 <code>{d.data.sha256?.slice(0, 16) ?? '—'}</code> <button onClick={reload}>Reload</button></p>
        {d.data.lastReload && <Section title="Last reload">
          <p>{fmtTime(d.data.lastReload.at)}: {d.data.lastReload.ok ? 'applied' : 'rejected'}</p>
          {d.data.lastReload.problems.length > 0 && <ul>{d.data.lastReload.problems.map((p) => <li class="error-text">{p}</li>)}</ul>}
        </Section>}
        <Section title="Running configuration (secrets masked)"><Json value={d.data.config} /></Section>
      </>}
    </div>
  );
}
