import { describe, expect, it } from 'vitest';
import { compile, compileErrors } from './helpers.js';

describe('recursion', () => {
  it('reports cycles through rules and functions with the full path', () => {
    expect(compileErrors('package x\np if q\nq if p')).toEqual([
      'm0.rego:2:1: rego_recursion_error: rule data.x.p is recursive: data.x.p -> data.x.q -> data.x.p',
      'm0.rego:3:1: rego_recursion_error: rule data.x.q is recursive: data.x.q -> data.x.p -> data.x.q',
    ]);
    expect(compileErrors('package x\nf(n) := f(n - 1)')).toEqual([
      'm0.rego:2:1: rego_recursion_error: rule data.x.f is recursive: data.x.f -> data.x.f',
    ]);
  });

  it('follows refs through packages and comprehensions', () => {
    expect(compileErrors(['package x\np := [1 | data.y.q]', 'package y\nq := data.x.p'])[0]).toBe(
      'm0.rego:2:1: rego_recursion_error: rule data.x.p is recursive: data.x.p -> data.y.q -> data.x.p',
    );
  });

  it('matches dynamic refs against the tree instead of depending on everything', () => {
    expect(() =>
      compile([
        'package test\np := data[first].allow.see.x if first := "primary"\nq := data[2]',
        'package primary\nallow[action].y if action := "show"\nallow.see.x := 1',
      ]),
    ).not.toThrow();
    expect(compileErrors('package test\np := data[k].p if k := "test"')[0]).toMatch(/rule data\.test\.p is recursive/);
  });
});
