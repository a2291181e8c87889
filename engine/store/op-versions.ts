import type { z } from 'zod';
import {
  InpaintV1, LatentEditV1, LatentLocalV1, LatentPlaceV1, LayerAddV1, LayerDeleteV1, LayerReorderV1, LayerUpdateV1,
  type Op, type OpKind,
} from './op-schemas.js';

/**
 * One op kind's history: the schema of its current version and, for every older version v, the schema rows of
 * version v were written with and the function that turns such a row into version v + 1. Rows are never
 * rewritten (the log is append-only): an old row is upgraded each time it is read, and new rows are written at
 * the current version.
 */
export interface OpKindVersions {
  version: number;
  schema: z.ZodType;
  upgrades: Readonly<Record<number, { schema: z.ZodType; upgrade: (old: never) => unknown }>>;
}

export type OpVersionTable = Readonly<Record<string, OpKindVersions>>;

/**
 * Today's table. Version 1 is the shape every kind had when versions were introduced (schema migration 4 stamps
 * the rows written before it as v1). To change a kind's shape: add the new schema in op-schemas.ts, bump its
 * `version`, and add `upgrades[old]` with the old schema and the function from it to the new one.
 */
export const opVersions = {
  'layer.add': { version: 1, schema: LayerAddV1, upgrades: {} },
  'layer.update': { version: 1, schema: LayerUpdateV1, upgrades: {} },
  'layer.reorder': { version: 1, schema: LayerReorderV1, upgrades: {} },
  'layer.delete': { version: 1, schema: LayerDeleteV1, upgrades: {} },
  inpaint: { version: 1, schema: InpaintV1, upgrades: {} },
  'latent.place': { version: 1, schema: LatentPlaceV1, upgrades: {} },
  'latent.edit': { version: 1, schema: LatentEditV1, upgrades: {} },
  'latent.local': { version: 1, schema: LatentLocalV1, upgrades: {} },
} as const satisfies Record<OpKind, OpKindVersions>;

/** Why a stored op cannot be read; the store turns it into "this project is damaged at edit N: …". */
export class OpFormatError extends Error {
  override name = 'OpFormatError';
}

const issues = (error: z.ZodError): string =>
  error.issues.slice(0, 3).map((i) => `${i.path.length ? i.path.join('.') : 'params'}: ${i.message}`).join('; ');

/** Reads and writes ops through a version table (the store uses `opVersions`; tests pass synthetic histories). */
export class OpCodec {
  constructor(private readonly table: OpVersionTable = opVersions) {}

  currentVersion(kind: string): number {
    const spec = this.table[kind];
    if (!spec) throw new OpFormatError(`unknown op kind "${kind}"`);
    return spec.version;
  }

  /** Parses a stored row's params, upgrades them from the row's version and validates the result. */
  decode(kind: string, version: number, params: string): Op {
    const spec = this.table[kind];
    if (!spec) throw new OpFormatError(`unknown op kind "${kind}"`);
    if (!Number.isInteger(version) || version < 0) throw new OpFormatError(`${kind} has no version ${version}`);
    if (version > spec.version) {
      throw new OpFormatError(`${kind} v${version} was written by a newer Ganvas (this one reads up to v${spec.version})`);
    }
    let value: unknown;
    try {
      value = JSON.parse(params);
    } catch {
      throw new OpFormatError('its parameters are not JSON');
    }
    for (let v = version; v < spec.version; v++) {
      const step = spec.upgrades[v];
      if (!step) throw new OpFormatError(`${kind} v${v} has no upgrade to v${v + 1}`);
      const old = step.schema.safeParse(value);
      if (!old.success) throw new OpFormatError(`its parameters are not a valid ${kind} v${v} op (${issues(old.error)})`);
      value = step.upgrade(old.data as never);
    }
    return this.validate(kind, value, `v${spec.version}`);
  }

  /**
   * Validates an op about to be written; returns what to store and apply, and its version. The op goes through
   * JSON first so that what is applied now is exactly what a replay will read back: a key set to `undefined`
   * (kept by zod, dropped by JSON) would otherwise patch the live document and not the replayed one.
   */
  encode(op: Op): { op: Op; version: number; params: string } {
    const spec = this.table[op.kind];
    if (!spec) throw new OpFormatError(`unknown op kind "${op.kind}"`);
    const valid = this.validate(op.kind, JSON.parse(JSON.stringify(op)), `v${spec.version}`);
    return { op: valid, version: spec.version, params: JSON.stringify(valid) };
  }

  private validate(kind: string, value: unknown, version: string): Op {
    const parsed = this.table[kind]!.schema.safeParse(value);
    if (!parsed.success) throw new OpFormatError(`its parameters are not a valid ${kind} ${version} op (${issues(parsed.error)})`);
    const op = parsed.data as Op;
    if (op.kind !== kind) throw new OpFormatError(`its row says ${kind} but its parameters say ${String(op.kind)}`);
    return op;
  }
}

export const opCodec = new OpCodec();
