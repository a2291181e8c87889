/**
 * Numbered schema migrations. A project file's `user_version` is the number of migrations applied; each runs in
 * its own transaction with the version bump, so a crash leaves a file at a whole version.
 */
export const migrations: readonly string[] = [
  /* 1: the spine */ `
  CREATE TABLE projects (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    name TEXT NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    -- materialised at the undo pointer, like layers
    doc_width INTEGER NOT NULL,
    doc_height INTEGER NOT NULL,
    head_edit_id INTEGER REFERENCES edits(id)
  );
  CREATE TABLE assets (
    hash TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('image', 'mask')),
    mime TEXT NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    bytes BLOB NOT NULL,
    created_at TEXT NOT NULL
  );
  CREATE TABLE edits (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    parent_id INTEGER REFERENCES edits(id),
    kind TEXT NOT NULL,
    label TEXT NOT NULL,
    params TEXT NOT NULL CHECK (json_valid(params)),
    model_id TEXT,
    created_at TEXT NOT NULL
  );
  CREATE INDEX edits_parent ON edits(parent_id);
  CREATE TABLE edit_assets (
    edit_id INTEGER NOT NULL REFERENCES edits(id),
    role TEXT NOT NULL,
    asset_hash TEXT NOT NULL REFERENCES assets(hash),
    PRIMARY KEY (edit_id, role)
  );
  -- Materialised state at the undo pointer; rebuilt in the same transaction as every pointer move.
  CREATE TABLE layers (
    id TEXT PRIMARY KEY,
    z INTEGER NOT NULL,
    name TEXT NOT NULL,
    asset_hash TEXT NOT NULL REFERENCES assets(hash),
    x REAL NOT NULL,
    y REAL NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    visible INTEGER NOT NULL,
    opacity REAL NOT NULL
  );
  `,
  /* 2: model versions a project has seen (docs/ARCHITECTURE.md, project store); edits refer to them by hash */ `
  CREATE TABLE models (
    hash TEXT PRIMARY KEY,
    id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('generator', 'inpainter')),
    name TEXT NOT NULL,
    licence TEXT NOT NULL,
    source TEXT NOT NULL,
    parent_hash TEXT,
    registered_at TEXT NOT NULL
  );
  `,
  /* 3: latents (content-addressed float32 w+) and named directions per model */ `
  CREATE TABLE latents (
    hash TEXT PRIMARY KEY,
    model_hash TEXT NOT NULL,
    space TEXT NOT NULL CHECK (space IN ('z', 'w', 'w+')),
    rows INTEGER NOT NULL,
    dim INTEGER NOT NULL,
    data BLOB NOT NULL,
    origin TEXT NOT NULL CHECK (json_valid(origin)),
    created_at TEXT NOT NULL
  );
  CREATE TABLE directions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    model_hash TEXT NOT NULL,
    name TEXT NOT NULL,
    method TEXT NOT NULL,
    layer_start INTEGER NOT NULL,
    layer_end INTEGER NOT NULL,
    sigma REAL NOT NULL,
    vector BLOB NOT NULL,
    created_at TEXT NOT NULL
  );
  CREATE INDEX directions_model ON directions(model_hash);
  ALTER TABLE layers ADD COLUMN latent TEXT CHECK (latent IS NULL OR json_valid(latent));
  `,
  /* 4: each edit records the version of its op kind's shape (op-versions.ts); rows written before versions
        existed have today's v1 shapes */ `
  ALTER TABLE edits ADD COLUMN op_version INTEGER NOT NULL DEFAULT 1 CHECK (op_version >= 0);
  `,
];
