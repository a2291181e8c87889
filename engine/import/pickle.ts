/**
 * A pickle reader that interprets opcodes (protocols 0–5) and never executes anything.
 *
 * Python's own unpickler imports whatever module a GLOBAL names and calls it; that is how a pickle runs arbitrary
 * code. Here a GLOBAL is looked up in an allow-list supplied by the caller (engine/import/torch-globals.ts) and
 * becomes an inert `Callable` that can only turn plain data into plain data (a Map, a tensor record…). A global
 * outside the list is refused with its `module.name` at the moment it is read, before anything uses it.
 *
 * Values: None → null, bool → boolean, int → number (bigint beyond 2^53), float → number, str → string,
 * bytes/bytearray → Uint8Array (a view into the file, not a copy), list and tuple → Array, dict → Map, set and
 * frozenset → Set, and whatever the allow-list's callables return.
 */
import { EngineError } from '../api/errors.js';

/** What an allowed global may do; every hook receives and returns plain data only. */
export interface Callable {
  readonly kind: 'callable';
  /** `module.name`, for messages. */
  readonly qualifiedName: string;
  /** REDUCE / INST / OBJ: the global called with positional arguments. */
  call?(args: unknown[]): unknown;
  /** NEWOBJ / NEWOBJ_EX: `cls.__new__(cls, *args)`; the state usually follows by BUILD. */
  construct?(args: unknown[]): unknown;
}

export interface PickleOptions {
  /** Names the file in messages. */
  what: string;
  /** `module.name` → what the global stands for; anything absent is refused. */
  globals: (module: string, name: string) => Callable | undefined;
  /** Resolves a persistent id (torch uses them for tensor storages); absent: such a pickle is refused. */
  persistentLoad?: (pid: unknown) => unknown;
  /** BUILD on a value that is not a Map: the allow-list's records know how to take their state. */
  build?: (target: unknown, state: unknown) => boolean;
}

export interface PickleResult {
  value: unknown;
  /** The offset just past STOP: legacy torch.save streams put several pickles and raw data back to back. */
  end: number;
}

const MARK = Symbol('mark');
const MAX_INT_BYTES = 64;

/** The failure of a damaged or foreign file, with where it happened. */
function bad(what: string, message: string): EngineError {
  return new EngineError('bad_model', `${what}: ${message}`);
}

const OPCODE_NAMES: Record<number, string> = {
  0x82: 'EXT1', 0x83: 'EXT2', 0x84: 'EXT4', 0x97: 'NEXT_BUFFER', 0x98: 'READONLY_BUFFER',
};

/** Reads one pickle starting at `offset`; the bytes after STOP are left alone. */
export function unpickle(bytes: Uint8Array, opts: PickleOptions, offset = 0): PickleResult {
  const { what } = opts;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const latin1 = new TextDecoder('latin1');
  const utf8 = new TextDecoder('utf-8');
  let pos = offset;
  let stack: unknown[] = [];
  const metastack: unknown[][] = [];
  const memo = new Map<number, unknown>();

  const need = (n: number) => {
    if (n < 0 || pos + n > bytes.length) throw bad(what, `the file ends early (at byte ${bytes.length}, while reading ${n} bytes at ${pos}): it is truncated or damaged`);
  };
  const u8 = () => { need(1); return bytes[pos++]!; };
  const u16 = () => { need(2); const v = view.getUint16(pos, true); pos += 2; return v; };
  const i32 = () => { need(4); const v = view.getInt32(pos, true); pos += 4; return v; };
  const u32 = () => { need(4); const v = view.getUint32(pos, true); pos += 4; return v; };
  const u64 = () => {
    need(8);
    const v = view.getBigUint64(pos, true);
    pos += 8;
    if (v > BigInt(bytes.length)) throw bad(what, `a length of ${v} bytes at byte ${pos - 8} is longer than the file: it is truncated or damaged`);
    return Number(v);
  };
  const take = (n: number) => { need(n); const b = bytes.subarray(pos, pos + n); pos += n; return b; };
  const line = () => {
    const end = bytes.indexOf(0x0a, pos);
    if (end < 0) throw bad(what, 'the file ends early inside a text opcode: it is truncated or damaged');
    const s = latin1.decode(bytes.subarray(pos, end));
    pos = end + 1;
    return s;
  };
  const pop = () => {
    if (stack.length === 0) throw bad(what, `pickle stack underflow at byte ${pos}: the file is damaged`);
    const v = stack.pop();
    if (v === MARK) throw bad(what, `unexpected MARK at byte ${pos}: the file is damaged`);
    return v;
  };
  const top = () => {
    if (stack.length === 0) throw bad(what, `pickle stack underflow at byte ${pos}: the file is damaged`);
    return stack[stack.length - 1];
  };
  const popMark = () => {
    const items = stack;
    const prev = metastack.pop();
    if (!prev) throw bad(what, `a MARK is missing at byte ${pos}: the file is damaged`);
    stack = prev;
    return items;
  };
  const memoGet = (i: number) => {
    if (!memo.has(i)) throw bad(what, `memo entry ${i} is read before it is written (byte ${pos}): the file is damaged`);
    return memo.get(i);
  };
  const lookupGlobal = (module: string, name: string): Callable => {
    const g = opts.globals(module, name);
    if (!g) {
      throw new EngineError('bad_model', `${what} needs the Python global ${module}.${name}, which Ganvas does not load: the file was refused and nothing in it was executed`);
    }
    return g;
  };
  const asCallable = (v: unknown, op: string): Callable => {
    if (typeof v === 'object' && v !== null && (v as Callable).kind === 'callable') return v as Callable;
    throw bad(what, `${op} at byte ${pos} applies something that is not an allowed global: the file is not a plain data pickle`);
  };
  const call = (fn: Callable, args: unknown, op: string) => {
    if (!Array.isArray(args)) throw bad(what, `${op} of ${fn.qualifiedName} at byte ${pos} has no argument tuple`);
    const hook = op === 'NEWOBJ' ? fn.construct : fn.call;
    if (!hook) throw bad(what, `${fn.qualifiedName} cannot be used with ${op} (byte ${pos})`);
    return hook.call(fn, args);
  };
  const setItems = (dict: unknown, items: unknown[]) => {
    if (!(dict instanceof Map)) throw bad(what, `SETITEM(S) on something that is not a dict at byte ${pos}`);
    if (items.length % 2) throw bad(what, `SETITEMS with an odd number of items at byte ${pos}`);
    for (let i = 0; i < items.length; i += 2) dict.set(items[i], items[i + 1]);
  };
  const appendAll = (list: unknown, items: unknown[]) => {
    if (!Array.isArray(list)) throw bad(what, `APPEND(S) on something that is not a list at byte ${pos}`);
    for (const x of items) list.push(x);
  };
  const long = (b: Uint8Array): number | bigint => {
    // Little-endian two's complement (LONG1 / LONG4). Checkpoints hold nothing wider than torch's 10-byte magic;
    // a megabyte-long integer would only cost quadratic time to build, so width is capped.
    if (b.length > MAX_INT_BYTES) throw bad(what, `an integer of ${b.length} bytes at byte ${pos - b.length} is wider than Ganvas reads (${MAX_INT_BYTES} bytes)`);
    if (b.length === 0) return 0;
    let v = 0n;
    for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
    if (b[b.length - 1]! & 0x80) v -= 1n << BigInt(8 * b.length);
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  };
  const textInt = (s: string): number | bigint | boolean => {
    const t = s.replace(/L$/, '');
    if (t === '00') return false; // protocol 0 writes bools as INT 00 / 01
    if (t === '01') return true;
    if (!/^[-+]?\d+$/.test(t) || t.length > 2.5 * MAX_INT_BYTES) throw bad(what, `bad or too long integer literal ${JSON.stringify(s.slice(0, 40))}`);
    const v = BigInt(t);
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  };
  const pythonStringLiteral = (s: string): string => {
    // Protocol 0 STRING: a repr() in quotes. Only the escapes repr() writes are understood.
    const q = s[0];
    if ((q !== "'" && q !== '"') || s[s.length - 1] !== q) throw bad(what, 'bad STRING literal');
    return s.slice(1, -1).replace(/\\(x[0-9a-fA-F]{2}|[\\'"nrt])/g, (_, e: string) =>
      e[0] === 'x' ? String.fromCharCode(parseInt(e.slice(1), 16)) : ({ n: '\n', r: '\r', t: '\t' } as Record<string, string>)[e] ?? e);
  };
  const unicodeEscape = (s: string) => s.replace(/\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})/g, (_, a?: string, b?: string) => String.fromCodePoint(parseInt((a ?? b)!, 16)));
  const persistent = (pid: unknown) => {
    if (!opts.persistentLoad) throw bad(what, `a persistent id at byte ${pos} refers to data outside this pickle, which this container does not provide`);
    return opts.persistentLoad(pid);
  };

  // Note: popMark() replaces `stack`, so its result is always taken into a local before `stack.push(…)`
  // (which would otherwise push onto the discarded inner stack).
  for (;;) {
    const at = pos;
    const op = u8();
    switch (op) {
      case 0x80: { // PROTO
        const v = u8();
        if (v > 5) throw bad(what, `pickle protocol ${v} is newer than 5, the latest Ganvas reads`);
        break;
      }
      case 0x95: u64(); break; // FRAME: a length hint only
      case 0x2e: { // STOP
        const value = pop();
        return { value, end: pos };
      }
      case 0x28: metastack.push(stack); stack = []; break; // MARK
      case 0x30: pop(); break; // POP
      case 0x31: popMark(); break; // POP_MARK
      case 0x32: stack.push(top()); break; // DUP
      // Scalars
      case 0x4e: stack.push(null); break; // NONE
      case 0x88: stack.push(true); break; // NEWTRUE
      case 0x89: stack.push(false); break; // NEWFALSE
      case 0x4a: stack.push(i32()); break; // BININT
      case 0x4b: stack.push(u8()); break; // BININT1
      case 0x4d: stack.push(u16()); break; // BININT2
      case 0x8a: stack.push(long(take(u8()))); break; // LONG1
      case 0x8b: { const n = i32(); stack.push(long(take(n))); break; } // LONG4
      case 0x49: stack.push(textInt(line())); break; // INT
      case 0x4c: stack.push(textInt(line())); break; // LONG
      case 0x47: { need(8); stack.push(view.getFloat64(pos, false)); pos += 8; break; } // BINFLOAT (big-endian)
      case 0x46: stack.push(Number.parseFloat(line())); break; // FLOAT
      // Strings and bytes
      case 0x58: stack.push(utf8.decode(take(u32()))); break; // BINUNICODE
      case 0x8c: stack.push(utf8.decode(take(u8()))); break; // SHORT_BINUNICODE
      case 0x8d: stack.push(utf8.decode(take(u64()))); break; // BINUNICODE8
      case 0x56: stack.push(unicodeEscape(line())); break; // UNICODE
      case 0x53: stack.push(pythonStringLiteral(line())); break; // STRING
      case 0x54: stack.push(latin1.decode(take(i32()))); break; // BINSTRING (Python 2 str)
      case 0x55: stack.push(latin1.decode(take(u8()))); break; // SHORT_BINSTRING
      case 0x42: stack.push(take(u32())); break; // BINBYTES
      case 0x43: stack.push(take(u8())); break; // SHORT_BINBYTES
      case 0x8e: stack.push(take(u64())); break; // BINBYTES8
      case 0x96: stack.push(take(u64())); break; // BYTEARRAY8
      // Containers
      case 0x7d: stack.push(new Map()); break; // EMPTY_DICT
      case 0x5d: stack.push([]); break; // EMPTY_LIST
      case 0x29: stack.push([]); break; // EMPTY_TUPLE
      case 0x8f: stack.push(new Set()); break; // EMPTY_SET
      case 0x64: { const d = new Map(); setItems(d, popMark()); stack.push(d); break; } // DICT
      case 0x6c: { const items = popMark(); stack.push(items); break; } // LIST
      case 0x74: { const items = popMark(); stack.push(items); break; } // TUPLE
      case 0x85: stack.push([pop()]); break; // TUPLE1
      case 0x86: { const b = pop(), a = pop(); stack.push([a, b]); break; } // TUPLE2
      case 0x87: { const c = pop(), b = pop(), a = pop(); stack.push([a, b, c]); break; } // TUPLE3
      case 0x91: { const items = popMark(); stack.push(new Set(items)); break; } // FROZENSET
      case 0x73: { const v = pop(), k = pop(); setItems(top(), [k, v]); break; } // SETITEM
      case 0x75: { const items = popMark(); setItems(top(), items); break; } // SETITEMS
      case 0x61: { const v = pop(); appendAll(top(), [v]); break; } // APPEND
      case 0x65: { const items = popMark(); appendAll(top(), items); break; } // APPENDS
      case 0x90: { // ADDITEMS
        const items = popMark();
        const s = top();
        if (!(s instanceof Set)) throw bad(what, `ADDITEMS on something that is not a set at byte ${at}`);
        for (const x of items) s.add(x);
        break;
      }
      // Memo
      case 0x70: memo.set(Number(line()), top()); break; // PUT
      case 0x71: memo.set(u8(), top()); break; // BINPUT
      case 0x72: memo.set(u32(), top()); break; // LONG_BINPUT
      case 0x94: memo.set(memo.size, top()); break; // MEMOIZE
      case 0x67: stack.push(memoGet(Number(line()))); break; // GET
      case 0x68: stack.push(memoGet(u8())); break; // BINGET
      case 0x6a: stack.push(memoGet(u32())); break; // LONG_BINGET
      // Globals and calls: only through the allow-list
      case 0x63: { const module = line(); const name = line(); stack.push(lookupGlobal(module, name)); break; } // GLOBAL
      case 0x93: { // STACK_GLOBAL
        const name = pop(), module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') throw bad(what, `STACK_GLOBAL without two strings at byte ${at}`);
        stack.push(lookupGlobal(module, name));
        break;
      }
      case 0x52: { const args = pop(); const fn = asCallable(pop(), 'REDUCE'); stack.push(call(fn, args, 'REDUCE')); break; } // REDUCE
      case 0x81: { const args = pop(); const cls = asCallable(pop(), 'NEWOBJ'); stack.push(call(cls, args, 'NEWOBJ')); break; } // NEWOBJ
      case 0x92: { // NEWOBJ_EX
        const kwargs = pop(), args = pop();
        const cls = asCallable(pop(), 'NEWOBJ_EX');
        if (kwargs instanceof Map && kwargs.size) throw bad(what, `NEWOBJ_EX of ${cls.qualifiedName} with keyword arguments is not supported`);
        stack.push(call(cls, args, 'NEWOBJ'));
        break;
      }
      case 0x69: { // INST: module and name inline, arguments since the mark
        const module = line(); const name = line();
        const fn = lookupGlobal(module, name);
        const args = popMark();
        stack.push(call(fn, args, 'REDUCE'));
        break;
      }
      case 0x6f: { // OBJ: class first after the mark
        const items = popMark();
        const fn = asCallable(items.shift(), 'OBJ');
        stack.push(call(fn, items, 'REDUCE'));
        break;
      }
      case 0x62: { // BUILD
        const state = pop();
        const target = top();
        if (target instanceof Map) {
          // A dict subclass (EasyDict, Namespace as a Map): the state is its __dict__, or (dict, slots).
          const parts = Array.isArray(state) ? state : [state];
          for (const part of parts) if (part instanceof Map) for (const [k, v] of part) target.set(k, v);
        } else if (!opts.build?.(target, state)) {
          throw bad(what, `BUILD at byte ${at} sets the state of a value Ganvas does not know how to build`);
        }
        break;
      }
      case 0x51: stack.push(persistent(pop())); break; // BINPERSID
      case 0x50: stack.push(persistent(line())); break; // PERSID
      default: {
        const name = OPCODE_NAMES[op];
        if (name) throw bad(what, `uses the pickle opcode ${name}, which Ganvas does not support`);
        throw bad(what, `unknown pickle opcode 0x${op.toString(16).padStart(2, '0')} at byte ${at}: this is not a pickle, or it is damaged`);
      }
    }
  }
}
