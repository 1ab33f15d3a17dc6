-- Documents and projects are numbered per initiative and per kind, from 1: the first
-- project of an initiative is "Project #1" whatever else the server holds. A number is
-- never given twice: resource_numbers keeps the highest ever given, so a removed #3
-- stays unused and "#3" always means the same item.
ALTER TABLE resources ADD COLUMN number INTEGER NOT NULL DEFAULT 0;

-- Existing items keep the order they were added in.
UPDATE resources SET number = (
    SELECT numbered.n FROM (
        SELECT id, row_number() OVER (PARTITION BY initiative_id, kind ORDER BY id) AS n
          FROM resources
    ) AS numbered
     WHERE numbered.id = resources.id
);

CREATE UNIQUE INDEX resources_number ON resources (initiative_id, kind, number);

CREATE TABLE resource_numbers (
    initiative_id INTEGER NOT NULL REFERENCES initiatives (id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('document', 'project')),
    last_number INTEGER NOT NULL,  -- the highest number ever given; the next is one more
    PRIMARY KEY (initiative_id, kind)
) WITHOUT ROWID;

INSERT INTO resource_numbers (initiative_id, kind, last_number)
SELECT initiative_id, kind, max(number) FROM resources GROUP BY initiative_id, kind;
