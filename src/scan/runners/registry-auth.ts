// Registry credentials from a `.dockerconfigjson` document (a file, or the
// `.dockerconfigjson` key of a kubernetes.io/dockerconfigjson Secret).

export interface RegistryCredential {
  serveraddress: string;
  username: string;
  password: string;
}

export class RegistryAuthError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RegistryAuthError';
  }
}

/** The registry host of an image reference (`docker.io` for bare names). */
export function registryOf(image: string): string {
  const first = image.split('/')[0]!;
  const hasHost = image.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  return hasHost ? first : 'docker.io';
}

function hostOf(key: string): string {
  return key.replace(/^https?:\/\//, '').split('/')[0]!;
}

/** Credentials for `image`'s registry, or undefined when the document has none for it. */
export function credentialFor(dockerConfigJson: string, image: string): RegistryCredential | undefined {
  let doc: { auths?: Record<string, { auth?: string; username?: string; password?: string }> };
  try {
    doc = JSON.parse(dockerConfigJson) as typeof doc;
  } catch (e) {
    throw new RegistryAuthError(`.dockerconfigjson is not JSON: ${(e as Error).message}`);
  }
  const registry = registryOf(image);
  const aliases = registry === 'docker.io' ? ['docker.io', 'index.docker.io', 'registry-1.docker.io'] : [registry];
  for (const [key, entry] of Object.entries(doc.auths ?? {})) {
    if (!aliases.includes(hostOf(key))) continue;
    if (entry.username && entry.password) return { serveraddress: hostOf(key), username: entry.username, password: entry.password };
    if (entry.auth) {
      const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon < 0) throw new RegistryAuthError(`the auth entry for ${key} is not base64 of user:password`);
      return { serveraddress: hostOf(key), username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
    }
  }
  return undefined;
}
