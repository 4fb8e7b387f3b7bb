// Error reporting. Messages are built in a static buffer (never the heap:
// an abort may be caused by the heap being exhausted) and handed to the
// SDK's opa_abort, which throws them as a JavaScript exception.

@external("env", "opa_abort")
declare function opa_abort(addr: usize): void;

const MSG_CAP: usize = 1024;
const msgBuf: usize = memory.data(1024);
let msgLen: usize = 0;

// 1: builtin errors abort evaluation (OPA's strict-builtin-errors).
let strict: i32 = 0;

export function setStrict(on: i32): void {
  strict = on;
}

@inline
function putByte(b: u32): void {
  if (msgLen < MSG_CAP - 1) {
    store<u8>(msgBuf + msgLen, <u8>b);
    msgLen++;
  }
}

/** Appends an ASCII string literal. */
export function msgStr(s: string): void {
  const n = s.length;
  for (let i = 0; i < n; i++) putByte(s.charCodeAt(i));
}

export function msgBytes(ptr: usize, len: usize): void {
  for (let i: usize = 0; i < len; i++) putByte(load<u8>(ptr + i));
}

export function msgInt(v: i64): void {
  if (v < 0) {
    putByte(45);
    v = -v;
  }
  const tmp = memory.data(24);
  let n = 0;
  do {
    store<u8>(tmp + n, <u8>(48 + <i32>(v % 10)));
    n++;
    v /= 10;
  } while (v > 0);
  while (n > 0) {
    n--;
    putByte(load<u8>(tmp + n));
  }
}

export function msgReset(): void {
  msgLen = 0;
}

/**
 * Location of the builtin call being made: a NUL-terminated "file:row"
 * string in the policy's static data, set by generated code before each
 * builtin call (0: unknown). Evaluation errors start with it, as OPA's do.
 */
export let hooker_callsite: usize = 0;

/** Starts an evaluation error message: "<file:row>: " when the call site is known. */
export function msgStartError(): void {
  msgLen = 0;
  const site = hooker_callsite;
  if (site != 0) {
    let i: usize = 0;
    while (load<u8>(site + i) != 0) { putByte(load<u8>(site + i)); i++; }
    msgStr(": ");
  }
}

function msgFinish(): usize {
  store<u8>(msgBuf + msgLen, 0);
  return msgBuf;
}

/** Aborts evaluation with the message built so far. */
export function msgAbort(): void {
  opa_abort(msgFinish());
  unreachable();
}

/** Replacement for AssemblyScript's abort (wired with --use abort=...). */
export function runtimeAbort(message: string | null = null, fileName: string | null = null, line: u32 = 0, column: u32 = 0): void {
  msgReset();
  msgStr("hooker runtime: ");
  if (message !== null) msgStr(message);
  if (fileName !== null) {
    msgStr(" (");
    msgStr(fileName);
    msgStr(":");
    msgInt(line);
    msgStr(":");
    msgInt(column);
    msgStr(")");
  }
  msgAbort();
}


/** OPA's name of a value's type, by tag. */
export function typeNameStr(tag: i32): string {
  switch (tag) {
    case 1: return "null";
    case 2: return "boolean";
    case 3: return "number";
    case 4: return "string";
    case 5: return "array";
    case 6: return "object";
    case 7: return "set";
  }
  return "undefined";
}

/**
 * `eval_type_error: <name>: operand <pos> must be <want> but got <got>`.
 * Aborts under strict mode; returns 0 (undefined) otherwise so callers can
 * `return typeError(...)`.
 */
export function typeError(name: string, pos: i32, want: string, gotTag: i32): usize {
  if (!strict) return 0;
  msgOperandError(name, pos);
  msgStr("must be ");
  msgStr(want);
  msgStr(" but got ");
  msgStr(typeNameStr(gotTag));
  msgAbort();
  return 0;
}

/** Starts "[file:row: ]eval_type_error: <name>: operand <pos> "; the caller says what is wrong. */
export function msgOperandError(name: string, pos: i32): void {
  msgStartError();
  msgStr("eval_type_error: ");
  msgStr(name);
  msgStr(": operand ");
  msgInt(pos);
  msgStr(" ");
}

/** `eval_type_error: <name>: operand <pos> <rest>` under strict mode, else undefined. */
export function operandError(name: string, pos: i32, rest: string): usize {
  if (!strict) return 0;
  msgOperandError(name, pos);
  msgStr(rest);
  msgAbort();
  return 0;
}

/** `eval_builtin_error: <name>: <message>` under strict mode, else undefined. */
export function builtinError(name: string, message: string): usize {
  if (!strict) return 0;
  msgStartError();
  msgStr("eval_builtin_error: ");
  msgStr(name);
  msgStr(": ");
  msgStr(message);
  msgAbort();
  return 0;
}

export function isStrict(): bool {
  return strict != 0;
}
