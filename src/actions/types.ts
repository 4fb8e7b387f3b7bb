// The contract every action implements. One file per action type under
// src/actions/ exports an `ActionFactory`; src/actions/index.ts maps
// `type:` values of cfg.yaml to factories.

/** A parsed JSON event (the webhook body). */
export type EventDoc = unknown;

export interface RenderedMessage {
  /** Template `title` (may be empty). */
  title: string;
  /** Template `result`: a string, or JSON serialised by the template stage. */
  body: string;
  /** Template `url`, when the template defines one. */
  url?: string;
}

export interface DeliveryContext {
  /** Stable id of this (event, route, action) delivery: sent as Hooker-Delivery-Id. */
  deliveryId: string;
  eventId: string;
  routeName: string;
  /** The event as received (what `event.input.<path>` references resolve against). */
  event: EventDoc;
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
}

export interface Action {
  readonly name: string;
  readonly type: string;
  deliver(ctx: DeliveryContext): Promise<DeliveryResult>;
  /** Releases clients, sockets, timers. */
  close?(): Promise<void>;
}

/** A problem in an action's configuration, with the key path it concerns. */
export interface ConfigProblem {
  path: string;
  message: string;
}

export interface ActionFactory {
  /** The `type:` value(s) this factory handles. */
  types: string[];
  /** Keys this type accepts besides name/type/enable (unknown ones are warned about). */
  keys: string[];
  /** Validates and builds; returns problems instead of throwing for user errors. */
  create(config: Record<string, unknown>, env: NodeJS.ProcessEnv): { action?: Action; problems: ConfigProblem[] };
}
