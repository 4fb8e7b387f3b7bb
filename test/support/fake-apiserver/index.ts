export { startFakeApiserver, type FakeApiserver, type RecordedRequest } from './server.js';
export { allowAll, allowingRules, rbacAuthorizer, denying, type Authorizer, type RequestAttributes, type UserInfo, type Verb, type PolicyRule } from './auth.js';
export type { KubeObject } from './store.js';
