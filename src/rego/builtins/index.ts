// Loads every builtin module (each registers itself with the registry) and
// exposes the table and the SDK glue. The catalog comes first so that the
// implementations attach to complete declarations.
//
// Part B's modules (crypto, tokens, x509, graphql, json schema, aws, rego.*)
// add their own import line below when their file exists.

import './catalog.js';
import './operators.js';
import './numbers.js';
import './aggregates.js';
import './arrays.js';
import './collections.js';
import './crypto.js';
import './jwt.js';
import './aws.js';
import './netlookup.js';
import './graphql.js';
import './jsonschema.js';
import './regometa.js';
import './strings.js';
import './sprintf.js';
import './regex.js';
import './glob.js';
import './casts.js';
import './encoding.js';
import './units.js';
import './bits.js';
import './semver.js';
import './uuid.js';
import './net.js';
import './time.js';
import './graph.js';
import './template.js';
import './print.js';
import './misc.js';
import './jsonformat.js';

export { createHostBuiltins, HOST_PREFIX, type HostBuiltinOptions, type HostBuiltins } from './host.js';
export { allBuiltins, lookupBuiltin } from './registry.js';
import './http-send.js';
