import { describe, expect, it } from 'vitest';
import { dockerAction } from '../../src/actions/docker.js';
import { DEFAULT_TIMEOUT_MS, parseDockerConfig } from '../../src/actions/docker/config.js';
import { withDefaultTag } from '../../src/actions/docker/image.js';
import { parseByteSize, parseDurationMs } from '../../src/actions/docker/units.js';

describe('docker action config', () => {
  it('accepts the documented keys with their defaults', () => {
    const { config, problems } = parseDockerConfig({ name: 'x', 'docker-image-name': 'alpine:3', 'docker-env': ['A=1', 'B=event.input.x'], 'docker-volume-mounts': ['/h:/c:ro'] });
    expect(problems).toEqual([]);
    expect(config).toMatchObject({ image: 'alpine:3', pull: 'if-not-present', timeoutMs: DEFAULT_TIMEOUT_MS, env: [['A', '1'], ['B', 'event.input.x']], mounts: [{ host: '/h', container: '/c', readOnly: true }] });
  });

  it('reports each bad key with its path', () => {
    const { config, problems } = parseDockerConfig({
      'docker-cmd': 'echo hi', 'docker-env': { 'BAD-NAME': 'x', HOOKER_EVENT: 'y' }, 'docker-pull': 'sometimes',
      'docker-volume-mounts': { relative: '/c' }, timeout: 'soon', memory: '1k', 'pids-limit': -1,
    });
    expect(config).toBeUndefined();
    expect(problems.map((p) => p.path).sort()).toEqual([
      'docker-cmd', 'docker-env.BAD-NAME', 'docker-env.HOOKER_EVENT', 'docker-image-name', 'docker-pull',
      'docker-volume-mounts.relative', 'memory', 'pids-limit', 'timeout',
    ]);
  });

  it('rejects malformed event references at load time', () => {
    const { problems } = parseDockerConfig({ 'docker-image-name': 'a', 'docker-cmd': ['event.input.a[x]'] });
    expect(problems).toEqual([{ path: 'docker-cmd[0]', message: expect.stringMatching(/must be a number or a quoted key/) }]);
  });

  it('refuses an unusable DOCKER_HOST', () => {
    const { action, problems } = dockerAction.create({ 'docker-image-name': 'a' }, { DOCKER_HOST: 'ssh://box' });
    expect(action).toBeUndefined();
    expect(problems[0].path).toBe('DOCKER_HOST');
  });

  it('parses sizes, durations and default tags', () => {
    expect(parseByteSize('64m')).toBe(64 * 1024 * 1024);
    expect(parseByteSize('1g')).toBe(1024 ** 3);
    expect(parseByteSize('lots')).toBeUndefined();
    expect(parseDurationMs('1m30s')).toBe(90_000);
    expect(parseDurationMs('500ms')).toBe(500);
    expect(parseDurationMs(2)).toBe(2000);
    expect(parseDurationMs('5 minutes')).toBeUndefined();
    expect(withDefaultTag('127.0.0.1:5000/a/b')).toBe('127.0.0.1:5000/a/b:latest');
    expect(withDefaultTag('a/b:1')).toBe('a/b:1');
    expect(withDefaultTag('a@sha256:00')).toBe('a@sha256:00');
  });
});
