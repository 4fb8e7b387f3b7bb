// Events: newest first, filtered by text, route, action, state and time;
// an event's page shows the raw event, the routes and every delivery.
import { useEffect, useRef, useState } from 'preact/hooks';
import { get, post, query } from './api';
import { ErrorBox, fmtTime, Json, More, Section, State, errorText, useLoad, usePaged } from './common';
import { BASE, navigate, type Location } from './router';

interface EventItem { id: string; receivedAt: number; hops: number; openDeliveries: number; preview: string; deliveries: Array<{ route: string; action: string; state: string }> }

const STATES = ['', 'waiting', 'pending', 'running', 'succeeded', 'dead'];

export function EventsPage({ loc }: { loc: Location }) {
  const p = loc.params;
  const filters = { text: p.get('text') ?? '', route: p.get('route') ?? '', action: p.get('action') ?? '', state: p.get('state') ?? '', since: p.get('since') ?? '', until: p.get('until') ?? '' };
  const key = JSON.stringify(filters);
  // The time inputs are in the browser's time zone; the server gets UTC.
  const iso = (v: string) => (v ? new Date(v).toISOString() : '');
  const list = usePaged<EventItem>((cursor) => get(`events${query({ ...filters, since: iso(filters.since), until: iso(filters.until), cursor, limit: 50 })}`), [key]);
  const [draft, setDraft] = useState(filters);
  useEffect(() => setDraft(filters), [key]);
  const search = useRef<HTMLInputElement>(null);
  useEffect(() => {
    const on = (e: KeyboardEvent) => {
      if (e.key === '/' && !(e.target instanceof HTMLInputElement || e.target instanceof HTMLTextAreaElement)) { e.preventDefault(); search.current?.focus(); }
    };
    addEventListener('keydown', on);
    return () => removeEventListener('keydown', on);
  }, []);
  const apply = (e: Event) => {
    e.preventDefault();
    navigate(`events${query(draft)}`);
  };
  const field = (name: keyof typeof draft, label: string, type = 'text') => (
    <label>{label}<input type={type} name={name} value={draft[name]} onInput={(e) => setDraft({ ...draft, [name]: (e.target as HTMLInputElement).value })} /></label>
  );
  return (
    <div>
      <h1>Events</h1>
      <form class="filters" onSubmit={apply} role="search">
        <label class="grow">Text in the event<input ref={search} type="search" name="text" placeholder="press / to search" value={draft.text} onInput={(e) => setDraft({ ...draft, text: (e.target as HTMLInputElement).value })} /></label>
        {field('route', 'Route')}
        {field('action', 'Action')}
        <label>State<select name="state" value={draft.state} onChange={(e) => setDraft({ ...draft, state: (e.target as HTMLSelectElement).value })}>
          {STATES.map((s) => <option value={s}>{s || 'any'}</option>)}
        </select></label>
        {field('since', 'Since', 'datetime-local')}
        {field('until', 'Until', 'datetime-local')}
        <button type="submit">Filter</button>
      </form>
      <ErrorBox error={list.error} />
      <table class="list" aria-label="events">
        <thead><tr><th>Received</th><th>Event</th><th>Deliveries</th></tr></thead>
        <tbody>
          {list.items.map((e) => (
            <tr key={e.id}>
              <td class="nowrap"><a href={`${BASE}events/${encodeURIComponent(e.id)}`}>{fmtTime(e.receivedAt)}</a></td>
              <td class="preview"><a href={`${BASE}events/${encodeURIComponent(e.id)}`} class="plain">{e.preview}</a></td>
              <td>{e.deliveries.map((d) => <span class="chip">{d.route} → {d.action} <State state={d.state} /></span>)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {!list.loading && list.items.length === 0 && <p class="muted">No stored event matches (events no route matched are counted on the overview, not stored).</p>}
      <More next={list.next} loading={list.loading} more={list.more} />
    </div>
  );
}

interface Attempt { startedAt: number; finishedAt: number; ok: boolean; detail?: string; log: string[] }
interface Delivery { id: string; route: string; action: string; state: string; attempts: number; stage: number; kind: string; createdAt: number; updatedAt: number; lastError?: string; attemptLog: Attempt[] }
interface EventDetail {
  event: { id: string; receivedAt: number; hops: number; openDeliveries: number; body: unknown; runs: Array<{ route: string; template?: string; message: { title: string; body: string; url?: string; templateError?: string }; enriched?: unknown }> };
  deliveries: Delivery[];
  routing: { when: 'received' | 'now'; matched: string[]; skipped: Array<{ route: string; reason: string }> };
}

export function EventPage({ id }: { id: string }) {
  const d = useLoad<EventDetail>(() => get(`events/${encodeURIComponent(id)}`), [id]);
  const [note, setNote] = useState<string | undefined>();
  const replay = async (deliveryId: string) => {
    try {
      const r = await post<{ retried: number }>('dead-letters/replay', { ids: [deliveryId] });
      setNote(`Replayed ${r.retried} delivery: it is pending again.`);
      setTimeout(d.reload, 800);
    } catch (e) { setNote(errorText(e)); }
  };
  if (d.error) return <ErrorBox error={d.error} />;
  if (!d.data) return <p class="muted">Loading…</p>;
  const { event, deliveries, routing } = d.data;
  return (
    <div>
      <h1>Event <code>{event.id}</code></h1>
      <p class="muted">Received {fmtTime(event.receivedAt)} · hops {event.hops} · {event.openDeliveries > 0 ? `${event.openDeliveries} deliveries unfinished` : 'all deliveries finished'}
        {' · '}<a href={`${BASE}playground?event=${encodeURIComponent(event.id)}`}>Open in the playground</a></p>
      {note && <p class="note" role="status">{note}</p>}
      <Section title="Routes">
        <p class="muted">{routing.when === 'received' ? 'As routed when the event arrived.' : 'Evaluated now against the running routes (the server no longer remembers this event’s routing).'}</p>
        <ul class="routes-outcome">
          {routing.matched.map((r) => <li class="matched"><strong>{r}</strong>: matched</li>)}
          {routing.skipped.map((s) => <li class="skipped"><strong>{s.route}</strong>: {s.reason}</li>)}
        </ul>
      </Section>
      <Section title="Messages as the actions received them">
        {event.runs.map((r) => (
          <article class="message">
            <h3>{r.route}{r.template ? <span class="muted"> · template {r.template}</span> : null}</h3>
            {r.message.templateError ? <p class="error">{r.message.templateError}</p> : <>
              <p><strong>{r.message.title}</strong>{r.message.url ? <> · <span class="muted">{r.message.url}</span></> : null}</p>
              <pre class="body">{r.message.body}</pre>
            </>}
            {r.enriched !== undefined && <Json value={r.enriched} open={false} label="Event as enriched for later stages" />}
          </article>
        ))}
      </Section>
      <Section title="Deliveries">
        {deliveries.map((x) => (
          <article class={`delivery state-${x.state}`} data-delivery={x.id}>
            <h3>{x.route} → {x.action} <State state={x.state} /> <span class="muted">stage {x.stage} · {x.kind} · {x.attempts} attempts</span>
              {x.state === 'dead' && <button class="replay" onClick={() => replay(x.id)}>Replay</button>}</h3>
            {x.lastError && <p class="error">Last error: {x.lastError}</p>}
            <ol class="attempts">
              {x.attemptLog.map((a, i) => (
                <li>
                  <span class={a.ok ? 'ok' : 'fail'}>{a.ok ? 'succeeded' : 'failed'}</span> attempt {i + 1} · {fmtTime(a.startedAt)} · {a.finishedAt - a.startedAt} ms
                  {a.detail && <div class="detail">{a.detail}</div>}
                  {a.log.length > 0 && <pre class="log" aria-label="attempt log">{a.log.join('\n')}</pre>}
                </li>
              ))}
            </ol>
          </article>
        ))}
      </Section>
      <Section title="Raw event"><Json value={event.body} /></Section>
    </div>
  );
}
