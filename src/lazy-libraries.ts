// Client libraries of actions and scan runners, and libraries of Rego
// builtins and report formats, that most configurations never use, loaded on first use instead of when the server starts: together
// they were about 7 s of a loaded machine's start and 100 MiB of its memory
// (the Kubernetes client alone 3 s / 65 MiB). Each is loaded through
// require (every one ships a CommonJS build), which keeps the call sites
// synchronous. Every value import of these packages goes through here, so
// there is one copy of each: an `instanceof ApiException` must see the same
// class the client threw.

import { createRequire } from 'node:module';
import type * as K8s from '@kubernetes/client-node';
import type * as SecurityHub from '@aws-sdk/client-securityhub';
import type * as Nats from 'nats';
import type DockerCtor from 'dockerode';
import type * as Nodemailer from 'nodemailer';
import type * as GraphQL from 'graphql';
import type * as Re2 from 're2js';
import type * as Inspec from 'inspecjs';
import type * as Undici from 'undici';

const require = createRequire(import.meta.url);

function lazy<T>(name: string): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= require(name) as T);
}

export const kubernetesClient = lazy<typeof K8s>('@kubernetes/client-node');
export const securityHubClient = lazy<typeof SecurityHub>('@aws-sdk/client-securityhub');
export const natsClient = lazy<typeof Nats>('nats');
export const dockerode = lazy<typeof DockerCtor>('dockerode');
export const nodemailer = lazy<typeof Nodemailer>('nodemailer');
// Rego builtins (graphql.*, regex.* and friends) and InSpec reports: loaded
// when a policy first calls one, not at every start (graphql alone was a
// fifth of the start's module loading).
export const graphqlLibrary = lazy<typeof GraphQL>('graphql');
export const re2Library = lazy<typeof Re2>('re2js');
export const inspecLibrary = lazy<typeof Inspec>('inspecjs');
// The HTTP client of the http action, the HTTP-based outputs and template
// URLs: about a third of the CPU of loading the server's modules (its
// llhttp parser is WebAssembly compiled at load), loaded with the first
// request rather than before the first /ping.
export const undiciLibrary = lazy<typeof Undici>('undici');
