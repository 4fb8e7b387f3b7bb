// uuid 10 ships no type declarations: the one function Hooker uses.
declare module 'uuid' {
  /** A version 7 UUID: 48 bits of Unix time in ms, then random bits; monotonic within this process. */
  export function v7(): string;
}
