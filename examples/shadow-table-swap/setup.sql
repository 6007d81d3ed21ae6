-- Seed 002: events carries the unused title and data columns; push events keep their payload in
-- data. The id comes from the sequence events_id_seq (a serial column, as in the seed).
-- The data comes from generate.sql (tandem run --example shadow-table-swap --size N).
CREATE TABLE events (
    id          bigserial PRIMARY KEY,
    project_id  bigint NOT NULL,
    author_id   bigint NOT NULL,
    action      text NOT NULL,
    title       text,
    data        jsonb,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX events_project_id_idx ON events (project_id);
