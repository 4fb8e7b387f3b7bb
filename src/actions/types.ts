// The contract every action implements. One file per action type (under
// src/actions/, notification outputs under src/actions/outputs/) exports an
// `ActionType`: its keys, its parse-and-validate and its factory.
// src/actions/index.ts maps `type:` values of cfg.yaml (case-insensitive,
// as in Postee) to them.

import type { ScanService } from '../scan/service.js';

/** A parsed JSON event (the webhook body). */
export type EventDoc = unknown;

export interface RenderedMessage {
  /** Template `title` (may be empty). */
  title: string;
  /** Template `result`: a string, or JSON serialised by the template stage. */
  body: string;
  /** Template `url`, when the template defines one. */
  url?: string;
  /**
   * Set when the route's template failed for this event: its deliveries are
   * recorded and fail with this reason instead of running their action, so an
   * accepted event never vanishes without a record.
   */
  templateError?: string;
}

export interface DeliveryContext {
  /** Stable id of this (event, route, action) delivery: sent as Hooker-Delivery-Id. */
  deliveryId: string;
  eventId: string;
  routeName: string;
  /** The event as received (what `event.input.<path>` references resolve against). */
  event: EventDoc;
  /**
   * The event's JSON text as stored (the same value as `event`), when the
   * delivery path has it: sent as is instead of serialising `event` again.
   */
  eventText?: string;
  message: RenderedMessage;
  /** Hop count the event arrived with (Hooker-Hops), for chaining. */
  hops: number;
  /** Aborted when the delivery's timeout passes or the server shuts down. */
  signal: AbortSignal;
  /** Appends a line to this delivery's log (captured output, decisions). Never pass secrets. */
  log(line: string): void;
}

export interface DeliveryResult {
  ok: boolean;
  /** Human-readable reason on failure, or a summary on success. */
  detail?: string;
  /** What the action changed (pods labelled, containers run...), for the delivery record. */
  changed?: string[];
  /** For ReadAndWrite actions: a replacement/merge for the event. */
  eventUpdate?: unknown;
  /** False when retrying cannot help (bad config, unresolvable reference). */
  retryable?: boolean;
  /** The service asked to wait this long before the next attempt (HTTP 429/503 Retry-After). */
  retryAfterMs?: number;
}

/**
 * The longest a delivery may run, from the moment its action is handed it,
 * before the action runner aborts it (src/delivery/action-runner.ts): it only
 * bounds an action that ignores its own timeout. An action's queueAhead must
 * keep its queued deliveries' worst wait within it (see queueAhead in
 * http-send.ts).
 */
export const DELIVERY_GUARD_MS = 10 * 60_000;

export interface Action {
  readonly name: string;
  readonly type: string;
  deliver(ctx: DeliveryContext): Promise<DeliveryResult>;
  /**
   * Deliveries beyond its `concurrency` this action takes at once and holds
   * in a queue of its own, starting each the moment one of its `concurrency`
   * connections frees (http, webhook): the scheduler hands it that many more,
   * so a connection's next request does not wait for the answer to travel
   * back to the scheduler and the next delivery to be launched from there
   * (issue 12). Never more than `concurrency` run against the target at once,
   * and a queued delivery's timeout starts when it is sent (the runner's
   * guard, DELIVERY_GUARD_MS, counts from the hand-over). Absent (exec,
   * kubernetes, docker, outputs): `concurrency` deliveries at most.
   */
  readonly queueAhead?: number;
  /** Releases clients, sockets, timers. */
  close?(): Promise<void>;
}

/** A problem in an action's configuration, with the key path it concerns. */
export interface ConfigProblem {
  path: string;
  message: string;
}

/** Services of the running server an action may need, passed in when it is built. */
export interface ActionServices {
  /** The scan queue (undefined until the server has started it, e.g. under `hooker validate`). */
  scan?: () => ScanService | undefined;
  /**
   * The http and webhook actions send from the HTTP client thread
   * (http1-thread.ts) instead of the event loop: the server's choice
   * (HOOKER_HTTP_THREAD, src/config/worker-threads.ts). Absent: the event loop.
   */
  httpThread?: boolean;
}

/** The part of an action type the config validator uses: its keys and its parse-and-validate. */
export interface ActionTypeInfo {
  /** The `type:` value as Postee spells it (matched case-insensitively). */
  readonly type: string;
  /** Other accepted spellings. */
  readonly aliases?: readonly string[];
  /** Keys this type accepts besides the common ones (unknown ones are warned about). */
  readonly keys: readonly string[];
  /**
   * Keys holding secrets. Each may also be given as `<key>-file` (a path whose
   * content is the value), and their values are scrubbed from every delivery
   * detail and log line.
   */
  readonly secrets?: readonly string[];
  /** Checks the action's keys; returns the typed settings, or problems. */
  parse(config: Record<string, unknown>, env: NodeJS.ProcessEnv): { settings?: unknown; problems: ConfigProblem[] };
}

export interface ActionFactory extends ActionTypeInfo {
  /**
   * Builds the action from the settings `parse` returned. Throws an Error with
   * a user-facing message when the environment cannot serve it (no Docker, no
   * kubeconfig...).
   */
  build(settings: unknown, env: NodeJS.ProcessEnv, services: ActionServices): Action;
  /** parse + build in one call (tests, embedders). */
  create(config: Record<string, unknown>, env: NodeJS.ProcessEnv, services?: ActionServices): { action?: Action; problems: ConfigProblem[] };
}
